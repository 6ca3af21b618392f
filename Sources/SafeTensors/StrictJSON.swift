// The JSON reader behind the safetensors header: strict where Foundation's is lenient.
//
// Foundation's parsers keep the last of two equal keys without a word; the safetensors format
// forbids duplicate names, so this reader keeps every object's members in order and the header
// decoder refuses repeats. Numbers are kept as their literal text, so that a size or offset is
// read as an exact integer (or refused) instead of passing through a Double.
//
// Never traps on its input: nesting is bounded, every read checks the bytes left, and every
// failure is a `StrictJSON.Failure` with the byte offset. Deliberately not handled: anything
// beyond RFC 8259 (comments, trailing commas, NaN literals) and lone UTF-16 surrogates in `\u`
// escapes, which are refused.

enum StrictJSON {
    indirect enum Value: Equatable {
        case object([(key: String, value: Value)])
        case array([Value])
        case string(String)
        /// The literal text of a number, e.g. "12", "-0.5e3".
        case number(String)
        case bool(Bool)
        case null

        static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.object(let a), .object(let b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            case (.array(let a), .array(let b)): return a == b
            case (.string(let a), .string(let b)): return a == b
            case (.number(let a), .number(let b)): return a == b
            case (.bool(let a), .bool(let b)): return a == b
            case (.null, .null): return true
            default: return false
            }
        }

        /// What kind of value this is, for error messages.
        var kind: String {
            switch self {
            case .object: "an object"
            case .array: "an array"
            case .string: "a string"
            case .number: "a number"
            case .bool: "a boolean"
            case .null: "null"
            }
        }
    }

    struct Failure: Error, Equatable {
        let offset: Int
        let reason: String
    }

    static let maximumDepth = 64

    /// Parses one JSON value from `bytes`; only whitespace may follow it.
    static func parse(_ bytes: ArraySlice<UInt8>) throws(Failure) -> Value {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.endIndex else { throw parser.failure("unexpected bytes after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: ArraySlice<UInt8>
        var index: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            index = bytes.startIndex
        }

        func failure(_ reason: String) -> Failure { Failure(offset: index - bytes.startIndex, reason: reason) }

        var current: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
            guard current == byte else { throw failure("expected \(what)") }
            index += 1
        }

        mutating func value(depth: Int) throws(Failure) -> Value {
            guard depth < maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
            guard let byte = current else { throw failure("unexpected end of the JSON text") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw failure("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            for byte in expected {
                guard current == byte else { throw failure("invalid literal") }
                index += 1
            }
        }

        mutating func object(depth: Int) throws(Failure) -> Value {
            index += 1
            var members: [(key: String, value: Value)] = []
            skipWhitespace()
            if current == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw failure("expected a string key") }
                let key = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after an object key")
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}' in an object")
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(Failure) -> Value {
            index += 1
            var elements: [Value] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                return .array(elements)
            }
        }

        mutating func number() throws(Failure) -> String {
            let start = index
            if current == UInt8(ascii: "-") { index += 1 }
            func digits(_ parser: inout Parser) -> Int {
                var count = 0
                while let byte = parser.current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { parser.index += 1; count += 1 }
                return count
            }
            let leading = index
            let integerDigits = digits(&self)
            guard integerDigits > 0 else { throw failure("a number needs digits") }
            if integerDigits > 1 && bytes[leading] == UInt8(ascii: "0") { throw failure("a number with a leading zero") }
            if current == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw failure("a fraction needs digits") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw failure("an exponent needs digits") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func hexQuad() throws(Failure) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = current else { throw failure("a \\u escape needs four hex digits") }
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw failure("a \\u escape needs four hex digits")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        /// A string literal; raw bytes must be valid UTF-8 without control characters.
        mutating func string() throws(Failure) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flushRun(_ parser: Parser, upTo end: Int, into scalars: inout String.UnicodeScalarView) throws(Failure) {
                guard runStart < end else { return }
                guard let text = String(validating: parser.bytes[runStart..<end], as: UTF8.self) else {
                    throw Failure(offset: runStart - parser.bytes.startIndex, reason: "a string that is not valid UTF-8")
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
            while true {
                guard let byte = current else { throw failure("an unterminated string") }
                if byte == UInt8(ascii: "\"") {
                    try flushRun(self, upTo: index, into: &scalars)
                    index += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw failure("a control character inside a string") }
                if byte != UInt8(ascii: "\\") { index += 1; continue }
                try flushRun(self, upTo: index, into: &scalars)
                index += 1
                guard let escape = current else { throw failure("an unterminated escape") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hexQuad()
                    if (0xD800...0xDBFF).contains(code) {
                        guard current == UInt8(ascii: "\\") else { throw failure("a lone UTF-16 surrogate in a \\u escape") }
                        index += 1
                        guard current == UInt8(ascii: "u") else { throw failure("a lone UTF-16 surrogate in a \\u escape") }
                        index += 1
                        let low = try hexQuad()
                        guard (0xDC00...0xDFFF).contains(low) else { throw failure("a lone UTF-16 surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw failure("a lone UTF-16 surrogate in a \\u escape") }
                    scalars.append(scalar)
                default:
                    throw failure("an unknown escape")
                }
                runStart = index
            }
        }
    }

    // MARK: Writing

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped,
    /// everything else as its UTF-8 bytes.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
