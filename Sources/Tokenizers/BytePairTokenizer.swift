// Byte-level BPE (Sennrich et al. 2016 on bytes, as GPT-2 and tiktoken): ids 0…255 are the bytes
// in byte order, id 256 + i is merge i (the bytes of its left token, then of its right), and the
// document boundary `<|endoftext|>` comes right after the merges. Text is pre-tokenized
// (`PreTokenizer`, gpt4 or gpt2) and each piece is merged on its own. Worked example (Wikipedia's
// "aaabdaaabac", 3 merges: aa, ab, aa·ab):
//
//   merges [(97, 97), (97, 98), (256, 257)] → "aaabdaaabac" encodes as [258, 100, 258, 97, 99]
//
// Encoding follows tiktoken exactly, so that our exported ranks give tiktoken's ids: a piece that
// is itself a token is that token; otherwise, starting from its bytes, the adjacent pair whose
// concatenated bytes form the token of lowest id is merged (leftmost on a tie), until no adjacent
// pair forms a token. (This equals "apply the merges in order" whenever a token's bytes cannot be
// built from another pair of tokens, which is the usual case.) Every token's bytes are distinct.
// The spelling "<|endoftext|>" in text is ordinary text; only the boundary id means a boundary.
// Not handled: special tokens other than the boundary, and non-byte-level vocabularies.
import Foundation

/// A byte-level BPE tokenizer: 256 byte tokens, the merges, then `<|endoftext|>`.
public struct BytePairTokenizer: Tokenizer, Equatable {
    public static let typeName = TokenizerKind.bytePair.rawValue
    public var typeName: String { Self.typeName }
    /// The spelling of the boundary token (it is never produced by encoding text).
    public static let endOfText = "<|endoftext|>"

    /// A merge: the token made of `left`'s bytes, then `right`'s.
    public struct Merge: Equatable, Hashable, Sendable {
        public var left: Int32
        public var right: Int32
        public init(_ left: Int32, _ right: Int32) {
            self.left = left
            self.right = right
        }
    }

    public let pattern: SplitPattern
    /// Merge i makes token 256 + i.
    public let merges: [Merge]
    let vocabulary: Vocabulary

    public var vocabularySize: Int { 256 + merges.count + 1 }
    public var boundaryToken: Int32 { Int32(256 + merges.count) }
    public var encodesAnyText: Bool { true }
    /// Tokens that come out of `encode`: the bytes and the merges.
    public var mergeableCount: Int { 256 + merges.count }

    /// A tokenizer of `merges`; each must refer to earlier tokens and make bytes no other token has.
    public init(pattern: SplitPattern, merges: [Merge]) throws(TokenizerError) {
        if let reason = Vocabulary.problem(with: merges) { throw .badTokenizerFile(path: "(merges)", reason: reason) }
        self.pattern = pattern
        self.merges = merges
        vocabulary = Vocabulary(merges: merges)
    }

    public static func == (lhs: BytePairTokenizer, rhs: BytePairTokenizer) -> Bool {
        lhs.pattern == rhs.pattern && lhs.merges == rhs.merges
    }

    /// The bytes of `token`; the boundary token's spelling for the boundary, empty out of range.
    public func bytes(of token: Int32) -> [UInt8] {
        if token == boundaryToken { return Array(Self.endOfText.utf8) }
        guard token >= 0, Int(token) < mergeableCount else { return [] }
        return Array(vocabulary.bytes(of: Int(token)))
    }

    // MARK: - Encoding

    public func encode(utf8 text: UnsafeBufferPointer<UInt8>, appendingTo tokens: inout [Int32]) throws(TokenizerError) {
        let holder = EncodeCache.forCurrentThread(vocabulary)
        var cache = holder.take()
        encode(text, appendingTo: &tokens, cache: &cache)
        holder.put(cache)
    }

    /// Encodes with an explicit cache (the protocol method keeps one per thread).
    func encode(_ text: UnsafeBufferPointer<UInt8>, appendingTo tokens: inout [Int32], cache: inout PieceCache) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        let vocabulary = self.vocabulary
        let lookup = vocabulary.tokens
        PreTokenizer(pattern: pattern).forEachPiece(in: text) { start, end in
            let piece = base + start
            let length = end - start
            let hash = ByteStringTable.hash(piece, length)
            let whole = lookup.find(piece, length, hash: hash)
            if whole >= 0 {
                tokens.append(Int32(truncatingIfNeeded: lookup.values[whole]))
                return
            }
            if cache.append(piece, length, hash: hash, to: &tokens) { return }
            let first = tokens.count
            vocabulary.merge(piece, length, appendingTo: &tokens)
            cache.insert(piece, length, hash: hash, tokens: tokens[first...])
        }
    }

    // MARK: - Decoding

    /// The bytes of `tokens`, boundary tokens skipped and ids out of range dropped.
    public func decodeBytes(_ tokens: [Int32]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tokens.count * 4)
        for token in tokens where token != boundaryToken && token >= 0 && Int(token) < mergeableCount {
            bytes += vocabulary.bytes(of: Int(token))
        }
        return bytes
    }

    /// The text of `tokens`: boundaries skipped, a UTF-8 sequence cut off at the end dropped (so a
    /// sample that stops inside a character shows only complete characters), and any other invalid
    /// sequence decoded as U+FFFD.
    public func decode(_ tokens: [Int32]) -> String {
        let bytes = decodeBytes(tokens)
        return String(decoding: bytes[..<CompleteUTF8.prefixLength(bytes)], as: UTF8.self)
    }

    // MARK: - File

    struct File: Codable {
        var format: String
        var version: Int
        var type: String
        var pattern: SplitPattern
        /// "left right" per merge, in id order (token 256 + i is merge i).
        var merges: [String]
        var specialTokens: [SpecialToken]
    }

    struct SpecialToken: Codable {
        var id: Int32
        var text: String
    }

    public func jsonData() throws(TokenizerError) -> Data {
        let file = File(format: TokenizerFile.format, version: TokenizerFile.currentVersion, type: Self.typeName, pattern: pattern,
                        merges: merges.map { "\($0.left) \($0.right)" },
                        specialTokens: [SpecialToken(id: boundaryToken, text: Self.endOfText)])
        return try TokenizerFile.encode(file)
    }

    init(jsonData: Data, path: String) throws(TokenizerError) {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: jsonData)
        } catch {
            throw .badTokenizerFile(path: path, reason: "a bpe tokenizer needs format, version, type, pattern (gpt4 or gpt2), merges and specialTokens")
        }
        var merges: [Merge] = []
        merges.reserveCapacity(file.merges.count)
        for (index, text) in file.merges.enumerated() {
            let parts = text.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let left = Int32(parts[0]), let right = Int32(parts[1]) else {
                throw .badTokenizerFile(path: path, reason: "merge \(index) is \"\(text)\", expected two ids \"left right\"")
            }
            merges.append(Merge(left, right))
        }
        let boundary = Int32(256 + merges.count)
        guard file.specialTokens.count == 1, file.specialTokens[0].id == boundary, file.specialTokens[0].text == Self.endOfText else {
            throw .badTokenizerFile(path: path, reason: "version 1 has one special token, \(Self.endOfText) with id \(boundary)")
        }
        if let reason = Vocabulary.problem(with: merges) { throw .badTokenizerFile(path: path, reason: reason) }
        pattern = file.pattern
        self.merges = merges
        vocabulary = Vocabulary(merges: merges)
    }
}

/// Where a UTF-8 byte string stops being complete characters.
public enum CompleteUTF8 {
    /// `bytes.count`, less a final sequence whose lead byte promises more bytes than follow.
    public static func prefixLength(_ bytes: [UInt8]) -> Int {
        var start = bytes.count - 1
        var continuations = 0
        while start >= 0 && continuations < 3 && bytes[start] & 0xC0 == 0x80 {
            start -= 1
            continuations += 1
        }
        guard start >= 0 else { return bytes.count }
        let lead = bytes[start]
        let needed = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF8 ? 4 : 1
        return continuations + 1 < needed ? start : bytes.count
    }
}
