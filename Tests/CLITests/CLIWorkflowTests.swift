import Foundation
import XCTest

/// The whole path through the executable: prepare, train, stop, resume, sample, list.
final class CLIWorkflowTests: CLITestCase {
    struct RunEntry: Decodable {
        let name: String
        let step: Int
        let status: String
        let weightsSHA256: String?
        let lastTrainLoss: Double?
        let bestValLoss: Double?
        let parameters: Int
        let model: String
    }

    func runs() throws -> [String: RunEntry] {
        let result = try descent("runs", "--json", "--db", "db.sqlite")
        XCTAssertEqual(result.status, 0, result.stderr)
        let entries = try JSONDecoder().decode([RunEntry].self, from: Data(result.stdout.utf8))
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
    }

    func testStopAtAndResumeEndWithTheSameWeightsAsAStraightRun() throws {
        try prepareNames()
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "straight", "--db", "db.sqlite", "--quiet").status, 0)
        let paused = try descent("train", "tiny.json", "--run", "paused", "--db", "db.sqlite", "--stop-at", "25")
        XCTAssertEqual(paused.status, 0, paused.stderr)
        XCTAssert(paused.stderr.contains("descent train --resume paused"), paused.stderr)
        XCTAssertEqual(try runs()["paused"]?.status, "interrupted")
        let resumed = try descent("train", "--resume", "paused", "--db", "db.sqlite", "--threads", "1")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let all = try runs()
        let straight = try XCTUnwrap(all["straight"]), stitched = try XCTUnwrap(all["paused"])
        XCTAssertEqual(stitched.step, 40)
        XCTAssertEqual(stitched.status, "completed")
        XCTAssertNotNil(straight.weightsSHA256)
        XCTAssertEqual(stitched.weightsSHA256, straight.weightsSHA256)
        XCTAssertEqual(stitched.lastTrainLoss, straight.lastTrainLoss)
        XCTAssertEqual(straight.model, "mlp")

        // Sampling is deterministic per seed.
        let first = try descent("sample", "straight", "--db", "db.sqlite", "--num-samples", "5", "--seed", "3")
        let second = try descent("sample", "straight", "--db", "db.sqlite", "--num-samples", "5", "--seed", "3")
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, second.stdout)
        XCTAssertEqual(first.stdout.split(separator: "\n").count, 5)
        // eval: every example of the text, as JSON for scripts.
        let evaluation = try descent("eval", "straight", "--db", "db.sqlite", "--text", "names.txt", "--json")
        XCTAssertEqual(evaluation.status, 0, evaluation.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any])
        for key in ["loss", "perplexity", "bitsPerCharacter", "tokens", "characters", "documents"] {
            XCTAssertNotNil(report[key], "eval --json lacks \(key)")
        }
        XCTAssertEqual(report["documents"] as? Int, 400)
        assertUserError(try descent("eval", "straight", "--db", "db.sqlite", "--text", "missing.txt"), contains: "missing.txt: not found")

        let table = try descent("runs", "--db", "db.sqlite")
        XCTAssert(table.stdout.contains("straight") && table.stdout.contains("completed"), table.stdout)
    }

    func testSigintAndSigtermFinishTheStepWriteACheckpointAndResume() throws {
        try prepareNames(config: ["maxSteps": "1000000", "logInterval": "1", "checkpointInterval": "0", "evalInterval": "0"])
        for (name, stop) in [("sigint", { (process: Process) in process.interrupt() }),
                             ("sigterm", { (process: Process) in process.terminate() })] {
            let (process, _, err) = try launch(["train", "tiny.json", "--run", name, "--db", "db.sqlite"])
            // Wait for the first progress line, then signal.
            var seen = Data()
            let handle = err.fileHandleForReading
            while !String(decoding: seen, as: UTF8.self).contains("step ") {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                seen.append(chunk)
            }
            stop(process)
            let rest = handle.readDataToEndOfFile()
            process.waitUntilExit()
            let stderr = String(decoding: seen + rest, as: UTF8.self)
            XCTAssertEqual(process.terminationStatus, 130, stderr)
            XCTAssert(stderr.contains("interrupted: checkpoint written at step"), stderr)
            XCTAssert(stderr.contains("descent train --resume \(name)"), stderr)
            let entry = try XCTUnwrap(try runs()[name])
            XCTAssertEqual(entry.status, "interrupted")
            XCTAssertGreaterThan(entry.step, 0)
            let resumed = try descent("train", "--resume", name, "--db", "db.sqlite", "--set", "training.maxSteps=\(entry.step + 5)")
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertEqual(try runs()[name]?.step, entry.step + 5)
        }
    }

    func testHelpExplainsEveryVerbAndConfigKey() throws {
        let root = try descent("--help")
        for verb in ["prepare", "train", "sample", "eval", "runs"] { XCTAssert(root.stdout.contains(verb), root.stdout) }
        let train = try descent("train", "--help")
        XCTAssertEqual(train.status, 0)
        for key in ["training.maxSteps", "optimizer.learningRate", "schedule.warmupSteps", "--stop-at", "--resume", "--db"] {
            XCTAssert(train.stdout.contains(key), "train --help lacks \(key)")
        }
        let sample = try descent("sample", "--help")
        for option in ["--temperature", "--top-k", "--top-p", "--seed", "--num-samples", "--checkpoint", "--prompt"] {
            XCTAssert(sample.stdout.contains(option), "sample --help lacks \(option)")
        }
    }
}
