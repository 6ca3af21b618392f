// One config key: its dotted name, the typed field it sets, its default, allowed values, help
// text and resume rule, declared once in `TrainingConfig.keys`.
//
// A key is built from a key path into `TrainingConfig` and a kind, so parsing, `--set`, the
// stored JSON, `descent help train`, the README table and the resume check all read the same
// declaration. Values are validated against the kind before they reach the field; a field is
// never read back through a type cast, so no accessor can trap.

import Foundation

/// A string-valued choice that a config key can hold (`model.type`, `optimizer.type`, ...): its
/// cases in declaration order are the allowed values.
public protocol ConfigChoice: CaseIterable, RawRepresentable, Sendable where RawValue == String {}

public struct ConfigKey: Sendable {
    /// What values a key takes.
    public enum Kind: Sendable, Equatable {
        case integer(ClosedRange<Int>)
        /// A real number in the range; `excludesLowerBound` makes the lower end open (lr > 0).
        case real(ClosedRange<Double>, excludesLowerBound: Bool)
        case boolean
        /// A non-empty string.
        case text
        case choice([String])
    }

    /// "section.key", as written in JSON (nested) and in `--set`.
    public let path: String
    public let kind: Kind
    /// The default as JSON; nil for a required key.
    public let defaultValue: JSONValue?
    /// What the key means, with a hint for choosing a value.
    public let summary: String
    /// Keys that fix the model's shape, the optimizer's state layout, the data or the seed cannot
    /// change when a run is resumed.
    public let fixedOnResume: Bool
    /// Writes an already validated value into its field.
    let assign: @Sendable (inout TrainingConfig, JSONValue) -> Void
    /// Reads the field as JSON.
    let read: @Sendable (TrainingConfig) -> JSONValue

    public var section: String { String(path.prefix { $0 != "." }) }
    public var isRequired: Bool { defaultValue == nil }

    // MARK: Declaring keys

    static func integer<Value: FixedWidthInteger & Sendable>(
        _ path: String, _ field: WritableKeyPath<TrainingConfig, Value> & Sendable, default value: Value?,
        in range: ClosedRange<Int>, fixedOnResume: Bool = false, _ summary: String
    ) -> ConfigKey {
        ConfigKey(path: path, kind: .integer(range), defaultValue: value.map { .number(Double($0)) }, summary: summary,
                  fixedOnResume: fixedOnResume,
                  assign: { config, json in
                      if case .number(let number) = json, let typed = Value(exactly: number) { config[keyPath: field] = typed }
                  },
                  read: { .number(Double($0[keyPath: field])) })
    }

    static func real(
        _ path: String, _ field: WritableKeyPath<TrainingConfig, Double> & Sendable, default value: Double,
        in range: ClosedRange<Double>, excludingLowerBound: Bool = false, fixedOnResume: Bool = false, _ summary: String
    ) -> ConfigKey {
        ConfigKey(path: path, kind: .real(range, excludesLowerBound: excludingLowerBound), defaultValue: .number(value),
                  summary: summary, fixedOnResume: fixedOnResume,
                  assign: { config, json in if case .number(let number) = json { config[keyPath: field] = number } },
                  read: { .number($0[keyPath: field]) })
    }

    static func boolean(
        _ path: String, _ field: WritableKeyPath<TrainingConfig, Bool> & Sendable, default value: Bool,
        fixedOnResume: Bool = false, _ summary: String
    ) -> ConfigKey {
        ConfigKey(path: path, kind: .boolean, defaultValue: .bool(value), summary: summary, fixedOnResume: fixedOnResume,
                  assign: { config, json in if case .bool(let flag) = json { config[keyPath: field] = flag } },
                  read: { .bool($0[keyPath: field]) })
    }

    static func text(
        _ path: String, _ field: WritableKeyPath<TrainingConfig, String> & Sendable, default value: String?,
        fixedOnResume: Bool = false, _ summary: String
    ) -> ConfigKey {
        ConfigKey(path: path, kind: .text, defaultValue: value.map { .string($0) }, summary: summary,
                  fixedOnResume: fixedOnResume,
                  assign: { config, json in if case .string(let text) = json { config[keyPath: field] = text } },
                  read: { .string($0[keyPath: field]) })
    }

    static func choice<Choice: ConfigChoice>(
        _ path: String, _ field: WritableKeyPath<TrainingConfig, Choice> & Sendable, default value: Choice,
        fixedOnResume: Bool = false, _ summary: String
    ) -> ConfigKey {
        ConfigKey(path: path, kind: .choice(Choice.allCases.map(\.rawValue)), defaultValue: .string(value.rawValue),
                  summary: summary, fixedOnResume: fixedOnResume,
                  assign: { config, json in
                      if case .string(let text) = json, let typed = Choice(rawValue: text) { config[keyPath: field] = typed }
                  },
                  read: { .string($0[keyPath: field].rawValue) })
    }

    // MARK: Validating

    /// Checks `value` against the key's kind and writes it into `config`.
    func set(_ value: JSONValue, in config: inout TrainingConfig, source: String) throws(ConfigError) {
        switch kind {
        case .integer(let range):
            guard case .number(let number) = value, number.rounded() == number, abs(number) < 9e15 else {
                throw .wrongType(source: source, key: path, allowed: allowed, found: value.display)
            }
            guard range.contains(Int(number)) else { throw .outOfRange(source: source, key: path, allowed: allowed, found: value.display) }
        case .real(let range, let open):
            guard case .number(let number) = value else { throw .wrongType(source: source, key: path, allowed: allowed, found: value.display) }
            guard number.isFinite, range.contains(number), !(open && number == range.lowerBound) else {
                throw .outOfRange(source: source, key: path, allowed: allowed, found: value.display)
            }
        case .boolean:
            guard case .bool = value else { throw .wrongType(source: source, key: path, allowed: allowed, found: value.display) }
        case .text:
            guard case .string(let text) = value else { throw .wrongType(source: source, key: path, allowed: allowed, found: value.display) }
            guard !text.isEmpty else { throw .outOfRange(source: source, key: path, allowed: "a non-empty string", found: "\"\"") }
        case .choice(let options):
            guard case .string(let text) = value else { throw .wrongType(source: source, key: path, allowed: allowed, found: value.display) }
            guard options.contains(text) else { throw .outOfRange(source: source, key: path, allowed: allowed, found: value.display) }
        }
        assign(&config, value)
    }

    /// The JSON value of `--set KEY=TEXT`, read by the key's kind (then validated by `set`).
    func value(ofOverride text: String) throws(ConfigError) -> JSONValue {
        switch kind {
        case .integer, .real:
            guard let number = Double(text) else { throw .wrongType(source: "--set", key: path, allowed: allowed, found: "'\(text)'") }
            return .number(number)
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "1": return .bool(true)
            case "false", "no", "0": return .bool(false)
            default: throw .wrongType(source: "--set", key: path, allowed: allowed, found: "'\(text)'")
            }
        case .text, .choice:
            return .string(text)
        }
    }

    // MARK: Describing

    /// The allowed values as an error message states them.
    public var allowed: String {
        switch kind {
        case .integer(let range):
            return range.upperBound == Int.max ? "an integer ≥ \(range.lowerBound)" : "an integer in \(range.lowerBound)...\(range.upperBound)"
        case .real(let range, let open):
            let lower = open ? "> \(Self.format(range.lowerBound))" : "≥ \(Self.format(range.lowerBound))"
            return range.upperBound == .infinity ? "a number \(lower)" : "a number \(lower) and ≤ \(Self.format(range.upperBound))"
        case .boolean: return "true or false"
        case .text: return "a string"
        case .choice(let options): return "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }

    /// The allowed values in a table cell: `1–1024`, `≥ 0`, `> 0, ≤ 1`, `sgd, adamw`.
    public var allowedBrief: String {
        switch kind {
        case .integer(let range):
            return range.upperBound == Int.max ? "≥ \(range.lowerBound)" : "\(range.lowerBound)–\(range.upperBound)"
        case .real(let range, let open):
            if !open && range.upperBound != .infinity { return "\(Self.format(range.lowerBound))–\(Self.format(range.upperBound))" }
            let lower = open ? "> \(Self.format(range.lowerBound))" : "≥ \(Self.format(range.lowerBound))"
            return range.upperBound == .infinity ? lower : "\(lower), ≤ \(Self.format(range.upperBound))"
        case .boolean: return "true, false"
        case .text: return "path"
        case .choice(let options): return options.joined(separator: ", ")
        }
    }

    /// The default as help text shows it: `default 0.1`, or `required`.
    public var defaultDescription: String {
        defaultValue.map { "default \($0.display)" } ?? "required"
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
