import Foundation
import Models
import Optimizers
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

/// The declaration in `TrainingConfig.keys` is the only place keys live: these tests check that it
/// covers every field once and that each key reads and writes its own field.
final class ConfigDeclarationTests: XCTestCase {
    func testEveryFieldHasExactlyOneKey() {
        func leaves(_ value: Any) -> Int {
            let children = Mirror(reflecting: value).children
            let isSection = !children.isEmpty && !(value is String)
            return isSection ? children.reduce(0) { $0 + leaves($1.value) } : 1
        }
        XCTAssertEqual(leaves(TrainingConfig.unset), TrainingConfig.keys.count)
        XCTAssertEqual(Set(TrainingConfig.keys.map(\.path)).count, TrainingConfig.keys.count, "duplicate key names")
        XCTAssertEqual(TrainingConfig.sections, ["data", "model", "optimizer", "schedule", "training"])
    }

    func testEachKeyChangesItsOwnFieldOnly() throws {
        let base = try TrainingConfig.parse(json: Data(#"{"data": {"dir": "d"}}"#.utf8), source: "t",
                                            overrides: ["optimizer.momentum=0.5"])
        for key in TrainingConfig.keys {
            let alternative = try XCTUnwrap(Self.alternative(to: key.read(base), kind: key.kind), key.path)
            let changed = try TrainingConfig.parse(json: Data(base.json().utf8), source: "t",
                                                   overrides: ["\(key.path)=\(alternative)"])
            let differing = TrainingConfig.keys.filter { $0.read(changed) != $0.read(base) }.map(\.path)
            XCTAssertEqual(differing, [key.path], "--set \(key.path)=\(alternative)")
        }
    }

    func testDefaultsAreValidAndDescribed() throws {
        let config = try TrainingConfig.parse(json: Data(#"{"data": {"dir": "d"}}"#.utf8), source: "t")
        for key in TrainingConfig.keys {
            if let value = key.defaultValue { XCTAssertEqual(key.read(config), value, key.path) }
            XCTAssertFalse(key.summary.isEmpty, key.path)
        }
        XCTAssertEqual(TrainingConfig.keys.filter(\.isRequired).map(\.path), ["data.dir"])
        XCTAssertEqual(config.optimizerSettings.momentum, 0, "one default for SGD momentum: the config's")
    }

    /// A valid value other than `current`, as `--set` text.
    static func alternative(to current: JSONValue, kind: ConfigKey.Kind) -> String? {
        switch (kind, current) {
        case (.integer(let range), .number(let value)):
            let candidate = Int(value) == range.lowerBound ? range.lowerBound + 1 : range.lowerBound
            return String(max(candidate, 2))
        case (.real(let range, _), .number(let value)):
            let candidate = (range.lowerBound + min(range.upperBound, 1)) / 2
            return String(candidate == value ? candidate / 2 : candidate)
        case (.boolean, .bool(let value)):
            return String(!value)
        case (.text, .string(let value)):
            return value + "-other"
        case (.choice(let options), .string(let value)):
            return options.first { $0 != value }
        default:
            return nil
        }
    }
}

final class TrainingStepTests: XCTestCase {
    /// The step is exactly gradients, clipping, then the optimizer's update at the given rate.
    func testStepIsGradientClipUpdate() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let dataset = try Fixtures.namesDataset(in: directory, count: 80)
        let config = try Fixtures.config(dataset.directory, Fixtures.smallMLP + ["optimizer.gradientClipNorm=0.5"])
        let architecture = config.architecture(vocabularySize: dataset.tokenizer.vocabularySize)
        func makeModel() -> any LanguageModel {
            let model = ModelFactory.make(architecture)
            model.initializeParameters(seed: 3)
            model.reserve(batchSize: 4)
            return model
        }
        let contexts: [Int32] = [0, 0, 1, 0, 1, 2, 1, 2, 3, 2, 3, 4], targets: [Int32] = [1, 2, 3, 4]
        let stepped = makeModel(), manual = makeModel()
        let step = TrainingStep(model: stepped, optimizer: Optimizer(settings: config.optimizerSettings, layout: stepped.layout),
                                gradientClipNorm: 0.5)
        let result = step.run(contexts: contexts, targets: targets, count: 4, learningRate: 0.05)

        let optimizer = Optimizer(settings: config.optimizerSettings, layout: manual.layout)
        let loss = manual.computeGradients(contexts: contexts, targets: targets, count: 4)
        let clip = Optimizer.clipGradients(manual.gradients, maxNorm: 0.5)
        optimizer.step(parameters: manual.parameters, gradients: manual.gradients, learningRate: 0.05)
        XCTAssertEqual(result, StepResult(loss: loss, gradientNorm: clip.norm, clipped: clip.clipped))
        XCTAssertTrue(result.clipped, "the test needs a norm above 0.5")
        XCTAssertEqual(stepped.parameters.toArray(), manual.parameters.toArray())
    }

    func testANonFiniteStepLeavesTheWeightsAlone() throws {
        let model = ModelFactory.make(ModelArchitecture(type: .bigram, vocabularySize: 5))
        model.initializeParameters(seed: 1)
        model.reserve(batchSize: 2)
        model.parameters[0] = .nan
        let before = model.parameters.toArray()
        let settings = OptimizerSettings(kind: .sgd, momentum: 0, nesterov: false, weightDecay: 0, decayEmbeddings: false,
                                         beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        let step = TrainingStep(model: model, optimizer: Optimizer(settings: settings, layout: model.layout), gradientClipNorm: 0)
        let result = step.run(contexts: [0, 0], targets: [1, 2], count: 2, learningRate: 0.1)
        XCTAssertFalse(result.isFinite)
        XCTAssertEqual(model.parameters.toArray().map(\.bitPattern), before.map(\.bitPattern))
        XCTAssertEqual(step.optimizer.stepCount, 0)
    }
}

/// The README's key table is `TrainingConfig.markdownKeyTable`, between two marker comments.
/// After an intended change to a key, `DESCENT_UPDATE_GOLDEN=1 swift test --filter
/// ReadmeKeyTableTests` rewrites it.
final class ReadmeKeyTableTests: XCTestCase {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardized
    static let begin = "<!-- config keys: generated from TrainingConfig.keys -->\n"
    static let end = "<!-- end of config keys -->"

    func testTheReadmeTableIsTheGeneratedOne() throws {
        let text = try String(contentsOf: Self.readme, encoding: .utf8)
        guard let start = text.range(of: Self.begin), let stop = text.range(of: Self.end, range: start.upperBound..<text.endIndex) else {
            return XCTFail("README.md lacks the markers \(Self.begin) … \(Self.end)")
        }
        let generated = TrainingConfig.markdownKeyTable + "\n"
        if ProcessInfo.processInfo.environment["DESCENT_UPDATE_GOLDEN"] == "1" {
            try text.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: generated)
                .write(to: Self.readme, atomically: true, encoding: .utf8)
            return
        }
        XCTAssertEqual(String(text[start.upperBound..<stop.lowerBound]), generated,
                       "README's key table is stale; regenerate with DESCENT_UPDATE_GOLDEN=1 swift test --filter ReadmeKeyTableTests")
    }
}
