import Foundation
import XCTest

/// `prepare --tokenizer bpe`, `--tokenizer-from`, `descent tokenizer show/export` and their errors.
final class CLITokenizerTests: CLITestCase {
    let text = String(repeating: "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n\n", count: 20)

    func testBPEPrepareShowAndExport() throws {
        try write(text, to: "play.txt")
        let prepared = try descent("prepare", "play.txt", "--out", "data/bpe", "--split-by", "paragraphs",
                                   "--tokenizer", "bpe", "--vocab-size", "300", "--split-pattern", "gpt2")
        XCTAssertEqual(prepared.status, 0, prepared.stderr)
        XCTAssertTrue(prepared.stdout.contains("300 tokens (256 bytes + 43 merges + <|endoftext|>, gpt2 pattern)"), prepared.stdout)
        let manifest = try String(contentsOfFile: path("data/bpe/manifest.json"), encoding: .utf8)
        XCTAssertTrue(manifest.contains(#""tokenizerType" : "bpe""#), manifest)

        let shown = try descent("tokenizer", "show", "data/bpe", "--text", "To be 🦀")
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("bpe, 300 tokens"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("\"To\""), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("<F0>"), "a byte of an emoji shows in hex: \(shown.stdout)")

        XCTAssertEqual(try descent("tokenizer", "export", "data/bpe", "--format", "tiktoken", "-o", "t.tiktoken").status, 0)
        let ranks = try String(contentsOfFile: path("t.tiktoken"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(ranks.count, 299)
        XCTAssertEqual(ranks[65], "QQ== 65")
        XCTAssertEqual(try descent("tokenizer", "export", "data/bpe", "--format", "hf", "-o", "tokenizer.json").status, 0)
        let hf = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("tokenizer.json")))) as? [String: Any]
        let model = hf?["model"] as? [String: Any]
        XCTAssertEqual((model?["vocab"] as? [String: Int])?.count, 299)
        XCTAssertEqual((model?["vocab"] as? [String: Int])?["Ġbe"].map { $0 >= 256 }, true)

        // The same vocabulary on new text, and the same bytes for one and two threads.
        try write("To be, or not to be: a new play.\n", to: "new.txt")
        for threads in ["1", "2"] {
            let again = try descent("prepare", "new.txt", "--out", "data/new-\(threads)", "--tokenizer-from", "data/bpe",
                                    "--val-fraction", "0", "--threads", threads)
            XCTAssertEqual(again.status, 0, again.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("data/new-1/tokenizer.json"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("data/bpe/tokenizer.json"))))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("data/new-1/manifest.json"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("data/new-2/manifest.json"))))
    }

    func testTokenizerErrors() throws {
        try write(text, to: "play.txt")
        assertUsageError(try descent("prepare", "play.txt", "--out", "data/x", "--tokenizer", "bpe", "--vocab-size", "100"),
                         contains: "--vocab-size 100")
        assertUserError(try descent("prepare", "play.txt", "--out", "data/x", "--tokenizer", "bpe", "--vocab-size", "5000"),
                        contains: "Use --vocab-size")
        assertUsageError(try descent("prepare", "play.txt", "--out", "data/x", "--tokenizer", "wordpiece"), contains: "--tokenizer")
        try write("\n\n", to: "blank.txt")
        assertUserError(try descent("prepare", "blank.txt", "--out", "data/x", "--tokenizer", "bpe"), contains: "no text found")
        assertUsageError(try descent("prepare", "play.txt", "--out", "data/x", "--split-pattern", "gpt5"), contains: "--split-pattern")
        assertUsageError(try descent("prepare", "play.txt", "--out", "data/x", "--vocab-size", "300"), contains: "--tokenizer bpe")

        XCTAssertEqual(try descent("prepare", "play.txt", "--out", "data/char", "--split-by", "paragraphs").status, 0)
        try write("To be\nor not to bé\n", to: "accent.txt")
        assertUserError(try descent("prepare", "accent.txt", "--out", "data/x", "--tokenizer-from", "data/char"),
                        contains: "accent.txt: document 2, character 12: \"é\" (U+00E9) is not in the --tokenizer-from vocabulary")
        assertUserError(try descent("tokenizer", "export", "data/char", "--format", "hf", "-o", "x.json"),
                        contains: "only BPE tokenizers export")
        assertUserError(try descent("tokenizer", "show", "data/missing"), contains: "data/missing")
        try write(#"{"format":"descent-tokenizer","version":9,"type":"bpe"}"#, to: "future.json")
        assertUserError(try descent("tokenizer", "show", "future.json"), contains: "version 9 is not supported")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("data/x")))
    }
}
