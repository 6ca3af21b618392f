// Character-level tokenizer: one id per Unicode scalar of the corpus, as in makemore and
// nanoGPT's shakespeare_char. Id 0 is the document boundary; ids 1…V−1 are the corpus's scalars in
// ascending scalar order, so names.txt gives V = 27 with 1…26 = a…z, makemore's exact layout:
//
//   CharacterTokenizer(text: "emma").symbols        == ["a", "e", "m"]
//   CharacterTokenizer(text: "emma").encode("mama") == [3, 1, 3, 1]
//
// "Character" here means Unicode scalar, not grapheme cluster: "é" written as e + U+0301 is two
// tokens, exactly as the corpus spells it (no normalisation). Every scalar is its own token, so any
// cut at a scalar boundary is a safe cut for it. Not handled: unknown-character fallback (encode
// throws), byte fallback (that is the BPE tokenizer's job).
import Foundation

/// A character-level tokenizer: boundary = 0, then the vocabulary's scalars in ascending order.
public struct CharacterTokenizer: Tokenizer, Equatable {
    public static let typeName = TokenizerKind.character.rawValue
    public var typeName: String { Self.typeName }

    /// The scalars of ids 1…V−1, strictly ascending.
    public let symbols: [Unicode.Scalar]
    private let table: ScalarIdTable

    public var vocabularySize: Int { symbols.count + 1 }
    public var boundaryToken: Int32 { 0 }

    /// A tokenizer over `symbols`, which must be strictly ascending (no duplicates).
    public init(symbols: [Unicode.Scalar]) throws(TokenizerError) {
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
        table = ScalarIdTable(symbols: symbols)
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
        let id = table.id(scalar.value)
        return id >= 0 ? id : nil
    }

    /// The scalar of `token`, or nil for the boundary token and ids out of range.
    public func symbol(of token: Int32) -> Unicode.Scalar? {
        guard token >= 1, Int(token) <= symbols.count else { return nil }
        return symbols[Int(token) - 1]
    }

    public func encode(utf8 text: UnsafeBufferPointer<UInt8>, appendingTo tokens: inout [Int32]) throws(TokenizerError) {
        let count = text.count
        guard count > 0 else { return }
        let start = tokens.count
        // At most one id per byte; the unused tail is dropped below.
        tokens.append(contentsOf: repeatElement(0, count: count))
        var written = 0
        var failedAt = -1
        tokens.withUnsafeMutableBufferPointer { tokens in
            table.withPages { pages, ids in
                let output = tokens.baseAddress! + start
                let ascii = ids + (Int(pages[0]) << 8)
                var i = 0
                while i < count {
                    let lead = text[i]
                    let id: Int32
                    let length: Int
                    if lead < 0x80 {
                        id = ascii[Int(lead)]
                        length = 1
                    } else {
                        let (value, size) = ValidUTF8.decode(at: i, in: text)
                        id = value < 0x110000 ? ids[Int(pages[Int(value >> 8)]) << 8 | Int(value & 0xFF)] : -1
                        length = size
                    }
                    if id < 0 {
                        failedAt = i
                        break
                    }
                    output[written] = id
                    written &+= 1
                    i &+= length
                }
            }
        }
        tokens.removeLast(count - written)
        if failedAt >= 0 {
            let value = ValidUTF8.scalar(at: failedAt, in: text)
            // One id per scalar, so the ids written are the scalars before the failing one.
            throw .unknownCharacter(Unicode.Scalar(value) ?? "\u{FFFD}", offset: written)
        }
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

    public func jsonData() throws(TokenizerError) -> Data {
        let file = File(format: TokenizerFile.format, version: TokenizerFile.currentVersion, type: Self.typeName,
                        boundaryToken: boundaryToken, symbols: symbols.map { String($0) })
        return try TokenizerFile.encode(file)
    }

    init(jsonData: Data, path: String) throws(TokenizerError) {
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

/// Scalar value → id (−1 when absent), in pages of 256 scalars: `ids[pageOfBlock[v >> 8] · 256 +
/// (v & 255)]`. Two loads and no hashing per scalar, and only the pages the vocabulary touches are
/// stored (page 0 is all −1 and serves every other block): about 17 KiB plus 1 KiB per page.
struct ScalarIdTable: Sendable {
    private static let blockCount = 0x110000 >> 8
    /// Page of each block of 256 scalar values; at most `blockCount` + 1 pages, so UInt16 holds it.
    private let pageOfBlock: [UInt16]
    private let ids: [Int32]

    init(symbols: [Unicode.Scalar]) {
        var pageOfBlock = [UInt16](repeating: 0, count: Self.blockCount)
        var ids = [Int32](repeating: -1, count: 256)
        for (index, scalar) in symbols.enumerated() {
            let block = Int(scalar.value >> 8)
            if pageOfBlock[block] == 0 {
                pageOfBlock[block] = UInt16(ids.count >> 8)
                ids.append(contentsOf: repeatElement(-1, count: 256))
            }
            ids[Int(pageOfBlock[block]) << 8 | Int(scalar.value & 0xFF)] = Int32(index + 1)
        }
        self.pageOfBlock = pageOfBlock
        self.ids = ids
    }

    func id(_ value: UInt32) -> Int32 {
        guard value < 0x110000 else { return -1 }
        return ids[Int(pageOfBlock[Int(value >> 8)]) << 8 | Int(value & 0xFF)]
    }

    /// The two arrays as pointers, for a hot loop; only scalar values below 0x110000 may be looked up.
    @inline(__always)
    func withPages<R>(_ body: (UnsafePointer<UInt16>, UnsafePointer<Int32>) -> R) -> R {
        pageOfBlock.withUnsafeBufferPointer { pages in
            ids.withUnsafeBufferPointer { ids in body(pages.baseAddress!, ids.baseAddress!) }
        }
    }
}

/// Collects the scalars of a corpus; its tokenizer has one id per scalar seen, in ascending order.
public struct CharacterTokenizerTrainer: TokenizerTrainer {
    /// A flag per ASCII value (a plain store per byte, the common case), and one bit per other
    /// scalar value (0x110000 bits, 136 KiB).
    private var asciiSeen = [Bool](repeating: false, count: 128)
    private var seen = [UInt64](repeating: 0, count: 0x110000 / 64)

    public init() {}

    public mutating func observe(utf8 text: UnsafeBufferPointer<UInt8>) {
        let count = text.count
        asciiSeen.withUnsafeMutableBufferPointer { ascii in
            seen.withUnsafeMutableBufferPointer { bits in
                var i = 0
                while i < count {
                    let lead = text[i]
                    if lead < 0x80 {
                        ascii[Int(lead)] = true
                        i &+= 1
                        continue
                    }
                    let (value, length) = ValidUTF8.decode(at: i, in: text)
                    if value < 0x110000 { bits[Int(value >> 6)] |= 1 &<< UInt64(value & 63) }
                    i &+= length
                }
            }
        }
    }

    /// The scalars observed, ascending.
    public var scalars: [Unicode.Scalar] {
        var result = (0..<128).filter { asciiSeen[$0] }.map { Unicode.Scalar(UInt8($0)) }
        for (wordIndex, word) in seen.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 {
                let value = UInt32(wordIndex * 64 + bit)
                if value >= 0x80, let scalar = Unicode.Scalar(value) { result.append(scalar) }
            }
        }
        return result
    }

    public mutating func makeTokenizer() throws(TokenizerError) -> any Tokenizer {
        CharacterTokenizer(ascending: scalars)
    }
}
