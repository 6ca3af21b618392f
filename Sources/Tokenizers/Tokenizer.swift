// The tokenizer contract. Every tokenizer maps text to ids in 0..<vocabularySize and reserves one
// id, `boundaryToken`, for document boundaries (it never comes out of `encode`). The hot path
// takes UTF-8 bytes, because byte-level BPE works on bytes and the pipeline reads bytes; a String
// convenience sits on top. Deliberately not handled: special tokens other than the boundary, and
// text that is not valid UTF-8 (the reader validates before anything is encoded).
import Foundation

/// Text ↔ token ids. Conforming types are immutable values, safe to share across threads.
///
/// **Pieces.** A long document reaches `encode(utf8:appendingTo:)` in pieces, cut at safe cuts
/// (`SafeCut`: after a "\n" with no whitespace on either side of it), so that memory stays bounded
/// whatever the document's length. A tokenizer must give the same tokens for a document given whole
/// or cut at safe cuts: for text `a + b` where `a.count` is a safe cut, encoding `a` then `b` appends
/// exactly the tokens of `a + b`. Pre-tokenizing tokenizers (GPT-2 and cl100k style BPE) meet this
/// because safe cuts are pre-token boundaries of both patterns; the character tokenizer meets it for
/// any cut at a scalar boundary. A document with no safe cut for 16 MiB is cut at a scalar boundary
/// anyway (the reader documents this), where a BPE may then differ in the one pre-token cut.
public protocol Tokenizer: Sendable {
    /// Number of ids, the boundary token included; every id is in `0..<vocabularySize`.
    var vocabularySize: Int { get }
    /// The id that separates documents (and pads contexts at a document start).
    var boundaryToken: Int32 { get }
    /// Appends the ids of `text`, which must be valid UTF-8 made of whole scalars, to `tokens`;
    /// never the boundary token. Throws `unknownCharacter` (its offset counted in scalars of `text`)
    /// for text the vocabulary cannot express; `tokens` then ends with the ids before that scalar.
    func encode(utf8 text: UnsafeBufferPointer<UInt8>, appendingTo tokens: inout [Int32]) throws(TokenizerError)
    /// The text of `tokens`. Boundary tokens are skipped, so `decode(encode(s)) == s`.
    func decode(_ tokens: [Int32]) -> String
    /// The tokenizer file's bytes (what `TokenizerFile.load(jsonData:)` reads back).
    func jsonData() throws(TokenizerError) -> Data
    /// The tokenizer file's "type" (`TokenizerKind.rawValue`).
    var typeName: String { get }
    /// Whether `encode` succeeds on any valid UTF-8 (byte-level BPE); false when a vocabulary of
    /// characters may lack one.
    var encodesAnyText: Bool { get }
    /// The bytes of `tokens` (boundaries skipped); unlike `decode`, a UTF-8 sequence cut at the
    /// end is kept, so that a caller printing tokens as they come can hold it back.
    func decodeBytes(_ tokens: [Int32]) -> [UInt8]
}

extension Tokenizer {
    public var encodesAnyText: Bool { false }
    public func decodeBytes(_ tokens: [Int32]) -> [UInt8] { Array(decode(tokens).utf8) }
}

extension Tokenizer {
    /// The ids of `text`, never the boundary token. Throws `unknownCharacter` for text the
    /// vocabulary cannot express.
    public func encode(_ text: String) throws(TokenizerError) -> [Int32] {
        var tokens: [Int32] = []
        var text = text
        var failure: TokenizerError?
        text.withUTF8 { bytes in
            do throws(TokenizerError) { try encode(utf8: bytes, appendingTo: &tokens) } catch { failure = error }
        }
        if let failure { throw failure }
        return tokens
    }
}
