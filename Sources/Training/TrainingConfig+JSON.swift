// Reading and writing training configs as JSON, `--set` overrides, and the resume check.
//
// Nested JSON (`{"training": {"maxSteps": 500}}`) is read key by key in sorted order, so the first
// error reported is the same every time; a config is written back nested, with sorted keys and
// every default filled in, which is how it is stored with a run.

import Foundation

extension TrainingConfig {
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

    /// Parses a config; `source` names it in error messages.
    public static func parse(json: Data, source: String, overrides: [String] = []) throws(ConfigError) -> TrainingConfig {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: json) } catch {
            throw .notJSON(source: source, detail: describe(decodingError: error))
        }
        guard case .object(let object) = root else { throw .notAnObject(source: source, key: nil) }
        var config = TrainingConfig.unset
        var given = Set<String>()
        for (path, value) in try flatten(object, source: source).sorted(by: { $0.key < $1.key }) {
            try config.set(path, value, source: source)
            given.insert(path)
        }
        for text in overrides {
            let (path, value) = try override(text)
            try config.set(path, value, source: "--set")
            given.insert(path)
        }
        for key in keys where !given.contains(key.path) {
            guard let value = key.defaultValue else { throw .missing(source: source, key: key.path) }
            try config.set(key.path, value, source: source)
        }
        try config.checkConsistency(source: source)
        return config
    }

    /// Parses a config stored with a run (complete and valid when it was stored).
    public static func stored(json: String, runName: String, overrides: [String] = []) throws(ConfigError) -> TrainingConfig {
        try parse(json: Data(json.utf8), source: "run '\(runName)' config", overrides: overrides)
    }

    private static func override(_ text: String) throws(ConfigError) -> (String, JSONValue) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { throw .badOverride(text: text) }
        let path = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
        let raw = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        guard let key = key(path) else {
            throw .unknownKey(source: "--set", key: path, suggestion: suggestion(for: path, among: keys.map(\.path)))
        }
        return (path, try key.value(ofOverride: raw))
    }

    private mutating func set(_ path: String, _ value: JSONValue, source: String) throws(ConfigError) {
        guard let key = Self.key(path) else {
            throw .unknownKey(source: source, key: path, suggestion: Self.suggestion(for: path, among: Self.keys.map(\.path)))
        }
        try key.set(value, in: &self, source: source)
    }

    /// Section objects flattened to dotted keys; the top level holds sections only.
    private static func flatten(_ object: [String: JSONValue], source: String) throws(ConfigError) -> [String: JSONValue] {
        var flat: [String: JSONValue] = [:]
        for (name, value) in object {
            guard sections.contains(name) else {
                throw .unknownKey(source: source, key: name, suggestion: suggestion(for: name, among: sections))
            }
            guard case .object(let section) = value else { throw .notAnObject(source: source, key: name) }
            for (key, value) in section { flat["\(name).\(key)"] = value }
        }
        return flat
    }

    // MARK: Resuming

    /// Checks that `other` (the config a resumed run would continue with) changes no key that is
    /// fixed on resume.
    public func checkResumable(as other: TrainingConfig) throws(ConfigError) {
        for key in Self.keys where key.fixedOnResume && key.read(self) != key.read(other) {
            throw .fixedOnResume(key: key.path, stored: key.read(self).display, requested: key.read(other).display)
        }
    }

    // MARK: Output

    /// The value of the key `path`, as JSON (nil for an unknown key).
    public func value(of path: String) -> JSONValue? {
        Self.key(path)?.read(self)
    }

    /// Nested JSON with sorted keys: how the config is stored with a run and printed.
    public func json(pretty: Bool = true) -> String {
        var sections: [String: JSONValue] = [:]
        for section in Self.sections {
            var object: [String: JSONValue] = [:]
            for key in Self.keys where key.section == section {
                object[String(key.path.dropFirst(section.count + 1))] = key.read(self)
            }
            sections[section] = .object(object)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(JSONValue.object(sections))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The README's table of keys, generated from `keys`.
    public static var markdownKeyTable: String {
        var lines = ["| key | default | allowed | on resume | meaning |", "|---|---|---|---|---|"]
        for key in keys {
            let value = key.defaultValue.map { value -> String in
                if case .string(let text) = value { return "`\(text)`" }
                return value.display
            } ?? "required"
            lines.append("| `\(key.path)` | \(value) | \(key.allowedBrief) | \(key.fixedOnResume ? "fixed" : "may change") | \(key.summary) |")
        }
        return lines.joined(separator: "\n")
    }

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
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
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
