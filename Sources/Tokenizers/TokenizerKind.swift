// The choice of tokenizer, declared once: each kind names its file "type", its trainer and its
// file decoder, so a new tokenizer (byte-level BPE) is a new case here and a new type beside
// CharacterTokenizer, with no change to the pipeline that fits and applies it. Deliberately not
// handled: options of a kind (the character tokenizer has none).
import Foundation

/// Which tokenizer `descent prepare` fits. The raw value is the tokenizer file's "type".
public enum TokenizerKind: String, CaseIterable, Codable, Sendable {
    /// One id per Unicode scalar of the corpus (makemore, nanoGPT's shakespeare_char).
    case character

    /// A trainer that learns this kind of tokenizer from a corpus.
    public func makeTrainer() -> any TokenizerTrainer {
        switch self {
        case .character: return CharacterTokenizerTrainer()
        }
    }

    /// Decodes a tokenizer file of this kind (its header already checked by `TokenizerFile`).
    func load(jsonData: Data, path: String) throws(TokenizerError) -> any Tokenizer {
        switch self {
        case .character: return try CharacterTokenizer(jsonData: jsonData, path: path)
        }
    }
}

/// Learns a tokenizer from a corpus: it observes the text of every document, then makes the
/// tokenizer. The character trainer collects the set of scalars; a BPE trainer counts pre-tokens.
///
/// Text arrives in the pieces the pipeline encodes later (`Tokenizer`: cut only at safe cuts,
/// document ends, or rarely a scalar boundary), so a trainer never sees a pre-token split between
/// two calls unless the encoder will see it split too.
public protocol TokenizerTrainer {
    /// Observes one piece of a document's text: valid UTF-8, whole scalars.
    mutating func observe(utf8 text: UnsafeBufferPointer<UInt8>)
    /// The tokenizer learnt from everything observed so far.
    func makeTokenizer() -> any Tokenizer
}
