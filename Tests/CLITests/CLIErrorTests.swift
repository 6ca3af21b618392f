import Foundation
import XCTest

/// Bad input gets one clear line on stderr, a non-zero exit, and never a crash.
final class CLIErrorTests: CLITestCase {
    func testPrepareInputErrors() throws {
        assertUserError(try descent("prepare", "missing.txt", "--out", "data/x"), contains: "missing.txt: not found")
        try FileManager.default.createDirectory(atPath: path("folder"), withIntermediateDirectories: true)
        assertUserError(try descent("prepare", "folder", "--out", "data/x"), contains: "folder: is a directory")
        try write("\n\n\n", to: "blank.txt")
        assertUserError(try descent("prepare", "blank.txt", "--out", "data/x"), contains: "no text found")
        try writeBytes(Array("good line\nbad \u{00}".utf8) + [0xC3, 0x28] + Array(" here\n".utf8), to: "latin.txt")
        assertUserError(try descent("prepare", "latin.txt", "--out", "data/x"), contains: "invalid UTF-8 at line 2")
        try writeBytes([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01], to: "corrupt.txt.gz")
        assertUserError(try descent("prepare", "corrupt.txt.gz", "--out", "data/x"), contains: "corrupt.txt.gz")
        assertUsageError(try descent("prepare", "missing.txt"), contains: "--out")
        assertUsageError(try descent("prepare", "names.txt", "--out", "data/x", "--split-by", "words"), contains: "--split-by")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("data/x")), "a failed prepare leaves nothing behind")
    }

    func testTruncatedGzipIsReported() throws {
        let text = (0..<2000).map { "line number \($0)" }.joined(separator: "\n")
        try write(text, to: "big.txt")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-k", path("big.txt")]
        try gzip.run()
        gzip.waitUntilExit()
        let whole = try Data(contentsOf: URL(fileURLWithPath: path("big.txt.gz")))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path("half.txt.gz")))
        assertUserError(try descent("prepare", "half.txt.gz", "--out", "data/x"), contains: "truncated")
    }

    func testConfigErrors() throws {
        try prepareNames()
        let cases: [(String, String)] = [
            (#"{"data": {"dir": "data/names"}, "training": {"maxStep": 5}}"#, "unknown key 'training.maxStep'"),
            (#"{"data": {"dir": "data/names"}, "training": {"batchSize": "big"}}"#, "training.batchSize must be an integer"),
            (#"{"data": {"dir": "data/names"}, "optimizer": {"learningRate": -0.5}}"#, "optimizer.learningRate must be a number > 0"),
            (#"{"data": {"dir": "data/names"}, "schedule": {"warmupSteps": 10}, "training": {"maxSteps": 10}}"#, "must be less than training.maxSteps"),
            (#"{"data": {"dir": "data/names"}, "training": {"batchSize": 0}}"#, "training.batchSize must be an integer in 1"),
            (#"{"data": {"dir": "data/nothing"}}"#, "data/nothing"),
            ("{not json", "not valid JSON"),
        ]
        for (index, (json, expected)) in cases.enumerated() {
            try write(json, to: "bad\(index).json")
            assertUserError(try descent("train", "bad\(index).json", "--db", "db.sqlite"), contains: expected)
        }
        assertUserError(try descent("train", "nope.json"), contains: "nope.json: cannot read the config")
        assertUserError(try descent("train", "tiny.json", "--set", "optimizer.learningRate=-1"), contains: "optimizer.learningRate")
    }

    func testRunErrors() throws {
        try prepareNames()
        assertUserError(try descent("train", "--resume", "ghost", "--db", "db.sqlite"), contains: "no run named 'ghost'")
        assertUserError(try descent("sample", "ghost", "--db", "db.sqlite"), contains: "no run named 'ghost'")
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "tiny", "--db", "db.sqlite").status, 0)
        assertUserError(try descent("train", "tiny.json", "--run", "tiny", "--db", "db.sqlite"), contains: "already exists")
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "tiny", "--db", "db.sqlite", "--overwrite").status, 0)
        assertUserError(try descent("train", "tiny.json", "--run", "bad name", "--db", "db.sqlite"), contains: "not a valid run name")
        assertUserError(try descent("train", "--resume", "tiny", "--db", "db.sqlite"), contains: "already trained 40 of 40 steps")
        assertUserError(try descent("train", "--resume", "tiny", "--db", "db.sqlite", "--set", "model.hiddenSize=8",
                                    "--set", "training.maxSteps=50"), contains: "model.hiddenSize cannot change")
        assertUserError(try descent("sample", "tiny", "--db", "db.sqlite", "--prompt", "xyz!"), contains: "not in the tokenizer's vocabulary")
        assertUserError(try descent("sample", "tiny", "--db", "db.sqlite", "--checkpoint", "7"), contains: "no checkpoint at step 7")
        // An option out of range is a usage error, reported by ArgumentParser from validate().
        assertUsageError(try descent("sample", "tiny", "--db", "db.sqlite", "--top-p", "0"), contains: "--top-p")
    }

    func testSamplingARunWithoutCheckpoints() throws {
        try prepareNames()
        // Diverges within the first steps, before any checkpoint.
        let diverged = try descent("train", "tiny.json", "--run", "boom", "--db", "db.sqlite", "--set", "optimizer.learningRate=1e5",
                                   "--set", "schedule.warmupSteps=0", "--set", "training.checkpointInterval=0")
        XCTAssertNotEqual(diverged.status, 0)
        XCTAssert(diverged.stderr.contains("training diverged"), diverged.stderr)
        XCTAssert(diverged.stderr.contains("lower optimizer.learningRate"), diverged.stderr)
        assertUserError(try descent("sample", "boom", "--db", "db.sqlite"), contains: "run 'boom' has no checkpoint yet")
        let runs = try descent("runs", "--json", "--db", "db.sqlite")
        XCTAssert(runs.stdout.contains("\"status\" : \"diverged\""), runs.stdout)
    }

    func testGarbageDatabaseIsAnErrorNotACrash() throws {
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path("garbage.db")))
        assertUserError(try descent("runs", "--db", "garbage.db"), contains: "garbage.db")
    }
}
