// The token stream of arbitrary text files under an existing tokenizer (for `descent eval`):
// documents delimited as `prepare` does, each preceded by the boundary token, the stream ending
// with one — the same layout as a prepared split, so losses are comparable.
//
// Streams in bounded memory: a document is tokenized in chunks of at most `chunkScalars` scalars.
// That is exact for the character tokenizer; a subword tokenizer will need chunk boundaries at
// its pre-tokenization splits (not handled yet).

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
    public static func read(paths: [String], split: DocumentSplit, tokenizer: any Tokenizer, chunkScalars: Int = 1 << 16,
                            _ body: ([Int32]) -> Void) throws(DataError) -> TextStreamSummary {
        try withoutActuallyEscaping(body) { (body) throws(DataError) -> TextStreamSummary in
            var sink = TokenizingSink(tokenizer: tokenizer, chunkScalars: max(1, chunkScalars), body: body)
            for path in paths {
                sink.path = path
                sink.documentInFile = 0
                try DocumentReader.read(path: path, split: split, into: &sink)
            }
            if sink.summary.documents > 0 { sink.emit([tokenizer.boundaryToken]) }
            return sink.summary
        }
    }
}

private struct TokenizingSink: DocumentSink {
    let tokenizer: any Tokenizer
    let chunkScalars: Int
    let body: ([Int32]) -> Void
    var path = ""
    var documentInFile = 0
    var summary = TextStreamSummary()
    private var pending = String.UnicodeScalarView()
    private var pendingCount = 0
    private var offsetInDocument = 0

    init(tokenizer: any Tokenizer, chunkScalars: Int, body: @escaping ([Int32]) -> Void) {
        self.tokenizer = tokenizer
        self.chunkScalars = chunkScalars
        self.body = body
    }

    mutating func emit(_ tokens: [Int32]) {
        summary.tokens += tokens.count
        body(tokens)
    }

    mutating func beginDocument() throws(DataError) {
        documentInFile += 1
        summary.documents += 1
        offsetInDocument = 0
        emit([tokenizer.boundaryToken])
    }

    mutating func append(_ scalar: UInt32) throws(DataError) {
        // The reader validated UTF-8, so every value here is a scalar.
        guard let value = Unicode.Scalar(scalar) else { return }
        pending.append(value)
        pendingCount += 1
        summary.characters += 1
        if pendingCount == chunkScalars { try flush() }
    }

    mutating func endDocument() throws(DataError) { try flush() }

    private mutating func flush() throws(DataError) {
        guard pendingCount > 0 else { return }
        do {
            emit(try tokenizer.encode(String(pending)))
        } catch .unknownCharacter(let scalar, let offset) {
            throw .unknownCharacterInFile(path: path, document: documentInFile, offset: offsetInDocument + offset, scalar: scalar)
        } catch {
            throw error
        }
        offsetInDocument += pendingCount
        pending = String.UnicodeScalarView()
        pendingCount = 0
    }
}
