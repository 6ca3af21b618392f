// Character-level tokenizer: one id per Unicode scalar of the corpus, as in makemore and
// nanoGPT's shakespeare_char. Id 0 is the document boundary; ids 1…V−1 are the corpus's scalars in
// ascending scalar order, so names.txt gives V = 27 with 1…26 = a…z, makemore's exact layout.
//
// "Character" here means Unicode scalar, not grapheme cluster: "é" written as e + U+0301 is two
// tokens, exactly as the corpus spells it (no normalisation). Not handled: unknown-character
// fallback (encode throws), byte fallback (that is the BPE tokenizer's job).
import Foundation

/// A character-level tokenizer: boundary = 0, then the vocabulary's scalars in ascending order.
public struct CharacterTokenizer: Tokenizer, Equatable {
    public static let typeName = "character"

    /// The scalars of ids 1…V−1, strictly ascending.
    public let symbols: [Unicode.Scalar]
    /// Ids of scalars below 128 (-1 when absent), the common case, without hashing.
    private let asciiIds: [Int32]
    private let otherIds: [UInt32: Int32]

    public var vocabularySize: Int { symbols.count + 1 }
    public var boundaryToken: Int32 { 0 }

    /// A tokenizer over `symbols`, which must be strictly ascending (no duplicates).
    public init(symbols: [Unicode.Scalar]) throws(DataError) {
        if let reason = Self.problem(with: symbols) {
            throw .badTokenizerFile(path: "(symbols)", reason: reason)
        }
        self.init(ascending: symbols)
    }

    /// The tokenizer of the scalars that occur in `text`.
    public init(text: String) {
        self.init(ascending: Set(text.unicodeScalars).sorted { $0.value < $1.value })
    }

    /// `symbols` already checked to be strictly ascending.
    init(ascending symbols: [Unicode.Scalar]) {
        self.symbols = symbols
        var ascii = [Int32](repeating: -1, count: 128)
        var other: [UInt32: Int32] = [:]
        for (index, scalar) in symbols.enumerated() {
            if scalar.value < 128 { ascii[Int(scalar.value)] = Int32(index + 1) } else { other[scalar.value] = Int32(index + 1) }
        }
        asciiIds = ascii
        otherIds = other
    }

    static func problem(with symbols: [Unicode.Scalar]) -> String? {
        for i in symbols.indices.dropFirst() where symbols[i - 1].value >= symbols[i].value {
            return "symbols are not in strictly ascending scalar order at id \(i + 1)"
        }
        return nil
    }

    public static func == (lhs: CharacterTokenizer, rhs: CharacterTokenizer) -> Bool {
        lhs.symbols == rhs.symbols
    }

    /// The id of `scalar`, or nil if the vocabulary lacks it.
    @inline(__always)
    public func id(of scalar: Unicode.Scalar) -> Int32? {
        if scalar.value < 128 {
            let id = asciiIds[Int(scalar.value)]
            return id >= 0 ? id : nil
        }
        return otherIds[scalar.value]
    }

    /// The scalar of `token`, or nil for the boundary token and ids out of range.
    public func symbol(of token: Int32) -> Unicode.Scalar? {
        guard token >= 1, Int(token) <= symbols.count else { return nil }
        return symbols[Int(token) - 1]
    }

    public func encode(_ text: String) throws(DataError) -> [Int32] {
        var tokens: [Int32] = []
        tokens.reserveCapacity(text.utf8.count)
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            guard let id = id(of: scalar) else { throw .unknownCharacter(scalar, offset: offset) }
            tokens.append(id)
        }
        return tokens
    }

    /// Boundary tokens are skipped; an id out of range decodes as U+FFFD (the replacement character).
    public func decode(_ tokens: [Int32]) -> String {
        var scalars = String.UnicodeScalarView()
        for token in tokens where token != boundaryToken {
            scalars.append(symbol(of: token) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    struct File: Codable {
        var format: String
        var version: Int
        var type: String
        var boundaryToken: Int32
        var symbols: [String]
    }

    public func jsonData() throws(DataError) -> Data {
        let file = File(format: TokenizerFile.format, version: TokenizerFile.currentVersion, type: Self.typeName,
                        boundaryToken: boundaryToken, symbols: symbols.map { String($0) })
        return try JSON.encode(file, path: TokenizerFile.defaultFileName)
    }

    init(jsonData: Data, path: String) throws(DataError) {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: jsonData)
        } catch {
            throw .badTokenizerFile(path: path, reason: "a character tokenizer needs format, version, type, boundaryToken and symbols")
        }
        guard file.boundaryToken == 0 else {
            throw .badTokenizerFile(path: path, reason: "boundaryToken is \(file.boundaryToken); version 1 requires 0")
        }
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(file.symbols.count)
        for (index, symbol) in file.symbols.enumerated() {
            let view = symbol.unicodeScalars
            guard view.count == 1, let scalar = view.first else {
                throw .badTokenizerFile(path: path, reason: "symbol of id \(index + 1) is not exactly one Unicode scalar")
            }
            scalars.append(scalar)
        }
        if let reason = Self.problem(with: scalars) { throw .badTokenizerFile(path: path, reason: reason) }
        self.init(ascending: scalars)
    }
}
