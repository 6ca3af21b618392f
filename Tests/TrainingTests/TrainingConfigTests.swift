import Foundation
import XCTest
@testable import Training

final class TrainingConfigTests: XCTestCase {
    func parse(_ json: String, overrides: [String] = []) throws -> TrainingConfig {
        try TrainingConfig.parse(json: Data(json.utf8), source: "test.json", overrides: overrides)
    }

    func error(_ json: String, overrides: [String] = []) -> String {
        do {
            _ = try parse(json, overrides: overrides)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    let minimal = #"{"data": {"dir": "data/names"}}"#

    func testDefaultsAreFilledAndOverridesApply() throws {
        let config = try parse(minimal, overrides: ["training.maxSteps=500", "optimizer.nesterov=true", "optimizer.momentum=0.9",
                                                    "model.type=mlp", "optimizer.learningRate=5e-2"])
        XCTAssertEqual(config.training.maxSteps, 500)
        XCTAssertEqual(config.training.batchSize, 32)
        XCTAssertEqual(config.model.type, .mlp)
        XCTAssertTrue(config.optimizer.nesterov)
        XCTAssertEqual(config.optimizer.learningRate, 0.05)
        XCTAssertEqual(config.data.directory, "data/names")
        // The stored JSON reads back to the same config.
        let again = try TrainingConfig.stored(json: config.json(), runName: "r")
        XCTAssertEqual(again, config)
    }

    func testUnknownKeysAreNamedWithSuggestions() {
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "training": {"maxStep": 5}}"#),
                       "test.json: unknown key 'training.maxStep'. Did you mean 'training.maxSteps'? `descent train --help` lists every key.")
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "trainer": {}}"#),
                       "test.json: unknown key 'trainer'. Did you mean 'training'? `descent train --help` lists every key.")
        XCTAssertEqual(error(minimal, overrides: ["maxSteps=5"]),
                       "--set: unknown key 'maxSteps'. Did you mean 'training.maxSteps'? `descent train --help` lists every key.")
    }

    func testWrongTypesAndRangesNameTheKeyAndTheAllowedValues() {
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "optimizer": {"learningRate": -0.1}}"#),
                       "test.json: optimizer.learningRate must be a number > 0 and ≤ 1000000, found -0.1.")
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "optimizer": {"learningRate": "fast"}}"#),
                       "test.json: optimizer.learningRate must be a number > 0 and ≤ 1000000, found \"fast\".")
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "training": {"batchSize": 0}}"#),
                       "test.json: training.batchSize must be an integer in 1...1048576, found 0.")
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "training": {"batchSize": 2.5}}"#),
                       "test.json: training.batchSize must be an integer in 1...1048576, found 2.5.")
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "optimizer": {"nesterov": 1}}"#),
                       "test.json: optimizer.nesterov must be true or false, found 1.")
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "model": {"type": "transformer"}}"#),
                       "test.json: model.type must be one of \"bigram\", \"mlp\", found \"transformer\".")
        XCTAssertEqual(error(minimal, overrides: ["training.maxSteps=lots"]),
                       "--set: training.maxSteps must be an integer ≥ 1, found 'lots'.")
        XCTAssertEqual(error(minimal, overrides: ["training.maxSteps"]),
                       "--set 'training.maxSteps': expected KEY=VALUE, e.g. --set training.maxSteps=500.")
    }

    func testCrossFieldChecks() {
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "schedule": {"warmupSteps": 100}, "training": {"maxSteps": 100}}"#),
                       "test.json: schedule.warmupSteps (100) must be less than training.maxSteps (100).")
        XCTAssertEqual(error(#"{"data": {"dir": "d"}, "optimizer": {"nesterov": true}}"#),
                       "test.json: optimizer.nesterov needs optimizer.momentum > 0.")
        XCTAssertEqual(error(#"{"model": {"type": "mlp"}}"#), "test.json: data.dir is required.")
    }

    func testMalformedDocuments() {
        XCTAssert(error("{").hasPrefix("test.json: not valid JSON"), error("{"))
        XCTAssertEqual(error("[1, 2]"), "test.json: the config must be a JSON object.")
        XCTAssertEqual(error(#"{"training": 5}"#), "test.json: 'training' must be an object of keys.")
        XCTAssertThrowsError(try TrainingConfig.load(path: "/nonexistent/x.json")) {
            XCTAssertEqual("\($0)", "/nonexistent/x.json: cannot read the config (no such file). Check the path; configs/ holds examples.")
        }
        XCTAssertThrowsError(try TrainingConfig.load(path: "/tmp")) {
            XCTAssertEqual("\($0)", "/tmp: cannot read the config (it is a directory). Check the path; configs/ holds examples.")
        }
    }

    func testResumeRejectsArchitectureChangesAndAllowsTheRest() throws {
        let stored = try parse(minimal, overrides: ["model.type=mlp", "model.hiddenSize=200"])
        let longer = try parse(stored.json(), overrides: ["training.maxSteps=9000", "optimizer.learningRate=0.01"])
        XCTAssertNoThrow(try stored.checkResumable(as: longer))
        let wider = try parse(stored.json(), overrides: ["model.hiddenSize=300"])
        XCTAssertThrowsError(try stored.checkResumable(as: wider)) {
            XCTAssert("\($0)".hasPrefix("model.hiddenSize cannot change when resuming (the run has 200, requested 300)."), "\($0)")
        }
    }

    func testTheReadmeDocumentsEveryKey() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardized
        let text = try String(contentsOf: readme, encoding: .utf8)
        for key in TrainingConfig.keys { XCTAssert(text.contains("| `\(key.path)` |"), "README lacks a row for \(key.path)") }
    }

    func testEveryShippedConfigParses() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../configs").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        XCTAssertFalse(files.isEmpty)
        for file in files {
            XCTAssertNoThrow(try TrainingConfig.load(path: directory.appendingPathComponent(file).path), file)
        }
    }
}
