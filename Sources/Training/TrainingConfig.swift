// A training config: JSON in configs/, overridden by `--set KEY=VALUE`, validated against
// `ConfigSchema`, then read through typed accessors.
//
// Nested JSON (`{"training": {"maxSteps": 500}}`) is flattened to dotted keys for validation and
// written back nested, with every default filled in, when stored with a run.

import Foundation
import Kernels
import Models
import Optimizers

public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case notJSON(source: String, detail: String)
    case notAnObject(source: String, key: String?)
    case unknownKey(source: String, key: String, suggestion: String?)
    case wrongType(source: String, key: String, allowed: String, found: String)
    case outOfRange(source: String, key: String, allowed: String, found: String)
    case missing(source: String, key: String)
    case badOverride(text: String)
    case inconsistent(source: String, message: String)
    case fixedOnResume(key: String, stored: String, requested: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read the config (\(reason)). Check the path; configs/ holds examples."
        case let .notJSON(source, detail):
            return "\(source): not valid JSON (\(detail))."
        case let .notAnObject(source, key):
            return key.map { "\(source): '\($0)' must be an object of keys." } ?? "\(source): the config must be a JSON object."
        case let .unknownKey(source, key, suggestion):
            let hint = suggestion.map { " Did you mean '\($0)'?" } ?? ""
            return "\(source): unknown key '\(key)'.\(hint) `descent train --help` lists every key."
        case let .wrongType(source, key, allowed, found):
            return "\(source): \(key) must be \(allowed), found \(found)."
        case let .outOfRange(source, key, allowed, found):
            return "\(source): \(key) must be \(allowed), found \(found)."
        case let .missing(source, key):
            return "\(source): \(key) is required."
        case let .badOverride(text):
            return "--set '\(text)': expected KEY=VALUE, e.g. --set training.maxSteps=500."
        case let .inconsistent(source, message):
            return "\(source): \(message)"
        case let .fixedOnResume(key, stored, requested):
            return "\(key) cannot change when resuming (the run has \(stored), requested \(requested)). Start a new run instead, e.g. with --init-from to reuse its weights where the shapes allow."
        }
    }
}

public struct TrainingConfig: Sendable, Equatable {
    /// Every schema key, defaults filled in, keyed by dotted path.
    public private(set) var values: [String: JSONValue]
    /// Where the values came from, for error messages.
    public let source: String

    // MARK: Loading

    public static func load(path: String, overrides: [String] = []) throws(ConfigError) -> TrainingConfig {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let reason = !exists ? "no such file" : isDirectory.boolValue ? "it is a directory" : "\(error.localizedDescription)"
            throw .unreadable(path: path, reason: reason)
        }
        return try parse(json: data, source: path, overrides: overrides)
    }

    public static func parse(json: Data, source: String, overrides: [String] = []) throws(ConfigError) -> TrainingConfig {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: json) } catch {
            throw .notJSON(source: source, detail: Self.describe(decodingError: error))
        }
        guard case .object(let object) = root else { throw .notAnObject(source: source, key: nil) }
        var flat: [String: JSONValue] = [:]
        try flatten(object, prefix: "", into: &flat, source: source)
        var config = TrainingConfig(values: [:], source: source)
        for (path, value) in flat.sorted(by: { $0.key < $1.key }) {
            try config.set(path, value, source: source)
        }
        try config.apply(overrides: overrides)
        try config.fillDefaultsAndValidate()
        return config
    }

    /// Parses a config stored with a run (already complete and valid when it was stored).
    public static func stored(json: String, runName: String) throws(ConfigError) -> TrainingConfig {
        try parse(json: Data(json.utf8), source: "run '\(runName)' config")
    }

    private static func flatten(_ object: [String: JSONValue], prefix: String, into flat: inout [String: JSONValue],
                                source: String) throws(ConfigError) {
        for (key, value) in object {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            if prefix.isEmpty {
                // Top level: sections only.
                guard ConfigSchema.sections.contains(key) else {
                    throw .unknownKey(source: source, key: key, suggestion: suggestion(for: key, among: ConfigSchema.sections))
                }
                guard case .object(let section) = value else { throw .notAnObject(source: source, key: key) }
                try flatten(section, prefix: path, into: &flat, source: source)
            } else {
                flat[path] = value
            }
        }
    }

    private init(values: [String: JSONValue], source: String) {
        self.values = values
        self.source = source
    }

    /// Applies `--set KEY=VALUE` overrides; VALUE is parsed by the key's type.
    public mutating func apply(overrides: [String]) throws(ConfigError) {
        for text in overrides {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { throw .badOverride(text: text) }
            let path = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
            let raw = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            guard let key = ConfigSchema.key(path) else {
                throw .unknownKey(source: "--set", key: path, suggestion: Self.suggestion(for: path, among: ConfigSchema.keys.map(\.path)))
            }
            let value: JSONValue
            switch key.kind {
            case .integer, .real:
                guard let number = Double(raw) else {
                    throw .wrongType(source: "--set", key: path, allowed: key.allowed, found: "'\(raw)'")
                }
                value = .number(number)
            case .boolean:
                switch raw.lowercased() {
                case "true", "yes", "1": value = .bool(true)
                case "false", "no", "0": value = .bool(false)
                default: throw .wrongType(source: "--set", key: path, allowed: key.allowed, found: "'\(raw)'")
                }
            case .text, .choice:
                value = .string(raw)
            }
            try set(path, value, source: "--set")
        }
    }

    /// Validates one value against its key and stores it.
    private mutating func set(_ path: String, _ value: JSONValue, source: String) throws(ConfigError) {
        guard let key = ConfigSchema.key(path) else {
            throw .unknownKey(source: source, key: path, suggestion: Self.suggestion(for: path, among: ConfigSchema.keys.map(\.path)))
        }
        switch key.kind {
        case .integer(let range):
            guard case .number(let number) = value, number.rounded() == number, abs(number) < 9e15 else {
                throw .wrongType(source: source, key: path, allowed: key.allowed, found: value.display)
            }
            guard range.contains(Int(number)) else { throw .outOfRange(source: source, key: path, allowed: key.allowed, found: value.display) }
        case .real(let range, let open):
            guard case .number(let number) = value else { throw .wrongType(source: source, key: path, allowed: key.allowed, found: value.display) }
            guard number.isFinite, range.contains(number), !(open && number == range.lowerBound) else {
                throw .outOfRange(source: source, key: path, allowed: key.allowed, found: value.display)
            }
        case .boolean:
            guard case .bool = value else { throw .wrongType(source: source, key: path, allowed: key.allowed, found: value.display) }
        case .text:
            guard case .string(let text) = value else { throw .wrongType(source: source, key: path, allowed: key.allowed, found: value.display) }
            guard !text.isEmpty else { throw .outOfRange(source: source, key: path, allowed: "a non-empty string", found: "\"\"") }
        case .choice(let options):
            guard case .string(let text) = value else { throw .wrongType(source: source, key: path, allowed: key.allowed, found: value.display) }
            guard options.contains(text) else { throw .outOfRange(source: source, key: path, allowed: key.allowed, found: value.display) }
        }
        values[path] = value
    }

    private mutating func fillDefaultsAndValidate() throws(ConfigError) {
        for key in ConfigSchema.keys where values[key.path] == nil {
            guard let value = key.defaultValue else { throw .missing(source: source, key: key.path) }
            values[key.path] = value
        }
        if warmupSteps >= maxSteps {
            throw .inconsistent(source: source, message: "schedule.warmupSteps (\(warmupSteps)) must be less than training.maxSteps (\(maxSteps)).")
        }
        if optimizer.nesterov && optimizer.momentum == 0 && optimizer.kind == .sgd {
            throw .inconsistent(source: source, message: "optimizer.nesterov needs optimizer.momentum > 0.")
        }
    }

    /// Checks that `other` (a resumed run's config) changes no key fixed on resume.
    public func checkResumable(as other: TrainingConfig) throws(ConfigError) {
        for key in ConfigSchema.keys where key.fixedOnResume && values[key.path] != other.values[key.path] {
            throw .fixedOnResume(key: key.path, stored: values[key.path]?.display ?? "nothing",
                                 requested: other.values[key.path]?.display ?? "nothing")
        }
    }

    // MARK: Output

    /// Nested JSON with sorted keys: how the config is stored with a run and printed.
    public func json(pretty: Bool = true) -> String {
        var sections: [String: JSONValue] = [:]
        for section in ConfigSchema.sections {
            var object: [String: JSONValue] = [:]
            for key in ConfigSchema.keys where key.path.hasPrefix(section + ".") {
                object[String(key.path.dropFirst(section.count + 1))] = values[key.path]
            }
            sections[section] = .object(object)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(JSONValue.object(sections))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Typed accessors

    func int(_ path: String) -> Int {
        if case .number(let value) = values[path] { return Int(value) }
        preconditionFailure("config key \(path) is not an integer")
    }

    func double(_ path: String) -> Double {
        if case .number(let value) = values[path] { return value }
        preconditionFailure("config key \(path) is not a number")
    }

    func bool(_ path: String) -> Bool {
        if case .bool(let value) = values[path] { return value }
        preconditionFailure("config key \(path) is not a boolean")
    }

    func string(_ path: String) -> String {
        if case .string(let value) = values[path] { return value }
        preconditionFailure("config key \(path) is not a string")
    }

    public var dataDirectory: String { string("data.dir") }
    public var modelType: ModelType { ModelType(rawValue: string("model.type")) ?? .bigram }

    public func architecture(vocabularySize: Int) -> ModelArchitecture {
        ModelArchitecture(type: modelType, vocabularySize: vocabularySize, contextLength: int("model.contextLength"),
                          embeddingSize: int("model.embeddingSize"), hiddenSize: int("model.hiddenSize"),
                          hiddenLayers: int("model.hiddenLayers"),
                          activation: Activation(rawValue: string("model.activation")) ?? .tanh)
    }

    public var optimizer: OptimizerSettings {
        var settings = OptimizerSettings()
        settings.kind = OptimizerKind(rawValue: string("optimizer.type")) ?? .sgd
        settings.learningRate = double("optimizer.learningRate")
        settings.momentum = double("optimizer.momentum")
        settings.nesterov = bool("optimizer.nesterov")
        settings.weightDecay = double("optimizer.weightDecay")
        settings.decayEmbeddings = bool("optimizer.decayEmbeddings")
        settings.beta1 = double("optimizer.beta1")
        settings.beta2 = double("optimizer.beta2")
        settings.epsilon = double("optimizer.epsilon")
        settings.gradientClipNorm = double("optimizer.gradientClipNorm")
        return settings
    }

    public var schedule: WarmupCosineSchedule {
        WarmupCosineSchedule(peak: double("optimizer.learningRate"), warmupSteps: warmupSteps, totalSteps: maxSteps,
                             minimumFraction: double("schedule.minLearningRateFraction"))
    }

    public var warmupSteps: Int { int("schedule.warmupSteps") }
    public var maxSteps: Int { int("training.maxSteps") }
    public var batchSize: Int { int("training.batchSize") }
    public var seed: UInt64 { UInt64(int("training.seed")) }
    public var evalInterval: Int { int("training.evalInterval") }
    public var evalBatches: Int { int("training.evalBatches") }
    public var checkpointInterval: Int { int("training.checkpointInterval") }
    public var keepCheckpoints: Int { int("training.keepCheckpoints") }
    public var logInterval: Int { int("training.logInterval") }

    // MARK: Helpers

    /// The closest known name by edit distance, if it is close enough to be a typo.
    static func suggestion(for name: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(3, name.count / 3) else {
            // A bare key without its section ("maxSteps") still deserves a pointer.
            return candidates.first { $0.hasSuffix("." + name) }
        }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }

    static func describe(decodingError error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError as NSError?, let detail = underlying.userInfo["NSDebugDescription"] as? String {
                return detail
            }
            return context.debugDescription
        }
        return "\(error)"
    }
}
