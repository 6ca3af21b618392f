// The token stream of arbitrary text files under an existing tokenizer (for `descent eval`):
// documents delimited as `prepare` does, each preceded by the boundary token, the stream ending
// with one — the same layout as a prepared split, so losses are comparable.
//
// Documents arrive from the reader in the pieces `prepare` encodes (cut only at safe cuts), so the
// tokens are the ones `prepare` would write, for any tokenizer, in bounded memory. Characters are
// counted from the text (Unicode scalars), never from tokens, so bits per character mean the same
// under every tokenizer.
import Tokenizers

/// Counts of a streamed text.
public struct TextStreamSummary: Sendable, Equatable {
    public var documents = 0
    /// Unicode scalars of the documents' text.
    public var characters = 0
    /// Tokens of the stream, boundary tokens included.
    public var tokens = 0
}

public enum TextTokenStream {
    /// Calls `body` with consecutive pieces of the token stream B d₁ B d₂ … B of `paths`.
    public static func read(paths: [String], split: DocumentSplit, tokenizer: any Tokenizer,
                            _ body: ([Int32]) -> Void) throws(DataError) -> TextStreamSummary {
        try withoutActuallyEscaping(body) { (body) throws(DataError) -> TextStreamSummary in
            var sink = TokenizingSink(tokenizer: tokenizer, body: body)
            for path in paths {
                sink.path = path
                sink.documentInFile = 0
                try DocumentReader.read(path: path, split: split, into: &sink)
            }
            if sink.summary.documents > 0 {
                sink.tokens.append(tokenizer.boundaryToken)
                sink.emit()
            }
            return sink.summary
        }
    }
}

private struct TokenizingSink: DocumentSink {
    let tokenizer: any Tokenizer
    let body: ([Int32]) -> Void
    var path = ""
    var documentInFile = 0
    var summary = TextStreamSummary()
    /// Tokens not yet handed to `body`, reused.
    var tokens: [Int32] = []
    private var offsetInDocument = 0

    init(tokenizer: any Tokenizer, body: @escaping ([Int32]) -> Void) {
        self.tokenizer = tokenizer
        self.body = body
    }

    mutating func emit() {
        summary.tokens += tokens.count
        body(tokens)
        tokens.removeAll(keepingCapacity: true)
    }

    mutating func beginDocument() {
        documentInFile += 1
        summary.documents += 1
        offsetInDocument = 0
        tokens.append(tokenizer.boundaryToken)
    }

    mutating func text(_ piece: UnsafeBufferPointer<UInt8>) throws(DataError) {
        do {
            try tokenizer.encode(utf8: piece, appendingTo: &tokens)
        } catch .unknownCharacter(let scalar, let offset) {
            throw .unknownCharacterInFile(path: path, document: documentInFile, offset: offsetInDocument + offset, scalar: scalar)
        } catch {
            throw .tokenizer(error)
        }
        let characters = Self.scalarCount(piece)
        summary.characters += characters
        offsetInDocument += characters
        emit()
    }

    mutating func endDocument() {}

    /// Every byte that is not a UTF-8 continuation byte starts a scalar.
    private static func scalarCount(_ piece: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in piece { count &+= byte & 0xC0 == 0x80 ? 0 : 1 }
        return count
    }
}
