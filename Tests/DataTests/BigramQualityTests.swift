// The add-one-smoothed bigram count model on names.txt: a check of the stream and boundary
// semantics against makemore, and the reference number for the training quality test.
import Foundation
import XCTest
@testable import Data

/// Add-one-smoothed bigram counts over the (previous, next) pairs of `streams` (context length 1).
func bigramCounts(streams: [[Int32]], vocabularySize v: Int) -> [Double] {
    var counts = [Double](repeating: 1, count: v * v)
    for stream in streams {
        let (contexts, targets) = ContextWindow.examples(stream: stream, contextLength: 1, boundaryToken: 0)
        for (context, target) in zip(contexts, targets) { counts[Int(context) * v + Int(target)] += 1 }
    }
    return counts
}

/// Average negative log-likelihood (nats) of every example of `stream` under `counts`.
func bigramNLL(counts: [Double], vocabularySize v: Int, stream: [Int32]) -> Double {
    let rowSums = (0..<v).map { row in counts[(row * v)..<((row + 1) * v)].reduce(0, +) }
    let (contexts, targets) = ContextWindow.examples(stream: stream, contextLength: 1, boundaryToken: 0)
    var total = 0.0
    for (context, target) in zip(contexts, targets) {
        total -= log(counts[Int(context) * v + Int(target)] / rowSums[Int(context)])
    }
    return total / Double(targets.count)
}

final class BigramQualityTests: XCTestCase {
    func testSmoothedBigramOnNames() throws {
        let names = try sharedCorpus("names.txt")
        let directory = makeTemporaryDirectory(self)
        let start = Date()
        let summary = try Prepare.run(PrepareOptions(inputs: [names], outputDirectory: directory + "/names"))
        let seconds = Date().timeIntervalSince(start)
        let dataset = try PreparedDataset(directory: directory + "/names")
        let v = dataset.tokenizer.vocabularySize
        XCTAssertEqual(v, 27)
        XCTAssertEqual(try dataset.tokenizer.encode("az"), [1, 26])
        XCTAssertEqual(summary.train.documents + summary.val.documents, 32_033)
        XCTAssertEqual(summary.val.documents, 3_203)

        let train = try dataset.readStream(.train)
        let val = try dataset.readStream(.val)
        // Train = eval on everything: makemore's figure for the +1-smoothed count model is 2.4546
        // (228,146 bigrams; `python3` over names.txt gives 2.454577).
        let all = bigramCounts(streams: [train, val], vocabularySize: v)
        var pairs = 0
        var nll = 0.0
        for stream in [train, val] {
            let n = stream.count - 1
            nll += bigramNLL(counts: all, vocabularySize: v, stream: stream) * Double(n)
            pairs += n
        }
        XCTAssertEqual(pairs, 228_146)
        XCTAssertEqual(nll / Double(pairs), 2.4546, accuracy: 0.001)

        let trainCounts = bigramCounts(streams: [train], vocabularySize: v)
        let valNLL = bigramNLL(counts: trainCounts, vocabularySize: v, stream: val)
        print("names.txt: prepared in \(String(format: "%.3f", seconds)) s; smoothed bigram NLL all/all "
              + "\(String(format: "%.4f", nll / Double(pairs))), train→val \(String(format: "%.4f", valNLL)) "
              + "(\(val.count - 1) val examples)")
        XCTAssertEqual(valNLL, 2.45, accuracy: 0.05)
    }

    func testTinyShakespeareSplitsAtATokenBoundary() throws {
        let shakespeare = try sharedCorpus("tinyshakespeare.txt")
        let directory = makeTemporaryDirectory(self)
        let start = Date()
        let summary = try Prepare.run(PrepareOptions(inputs: [shakespeare], outputDirectory: directory + "/shakespeare",
                                                     splitBy: .file))
        print("tinyshakespeare.txt: prepared in \(String(format: "%.3f", Date().timeIntervalSince(start))) s, "
              + "\(summary.writtenBytes) bytes written")
        XCTAssertEqual(summary.vocabularySize, 66)    // nanoGPT's 65 characters + the boundary
        XCTAssertEqual(summary.holdout, .tail)
        // n = 1,115,394 characters; 111,539 held out; train = B + 1,003,855 tokens, val = B + 111,539 + B.
        XCTAssertEqual(summary.train.tokens, 1_003_856)
        XCTAssertEqual(summary.val.tokens, 111_541)
        // The default 2M-token shards keep the whole corpus in one shard; 500k tokens cut it in 3.
        XCTAssertEqual(summary.train.shardFiles, ["train_000000.bin.gz"])
        var options = PrepareOptions(inputs: [shakespeare], outputDirectory: directory + "/cut", splitBy: .file, shardTokens: 500_000)
        options.threads = 2
        let cut = try Prepare.run(options)
        XCTAssertEqual(cut.train.shardFiles, ["train_000000.bin.gz", "train_000001.bin.gz", "train_000002.bin.gz"])
        XCTAssertEqual(cut.manifest.shards(of: .train).map(\.tokens), [334_619, 334_619, 334_618])
    }
}
