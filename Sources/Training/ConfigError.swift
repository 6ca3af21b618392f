// Everything that can be wrong with a training config, each case with the key, the evidence and
// what to do next; `description` is the one line the CLI prints.

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
