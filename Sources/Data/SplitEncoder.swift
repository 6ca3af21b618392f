// Phase (c) of `descent prepare`: read the inputs again, encode every document (piece by piece)
// with the fitted tokenizer, and route its tokens to its split's stream, spooled to a file:
// B d₁ B d₂ … B per split (every document preceded by the boundary token B, the stream ending with
// one). Lengths are known only once this is done, which is why shards are cut afterwards (phase d).
// An input that reads differently from phase (a) (other documents, other bytes, a scalar outside
// the fitted vocabulary) is reported as `inputChanged`, never silently mixed in.
//
// Encoding runs on worker threads: the reading thread gathers documents into chunks of about
// 1 MiB of text (`TextChunk`, never spanning two inputs), an `OrderedPipeline` encodes them, and
// the reading thread routes the encoded chunks to the spools in their original order. Which split
// a document goes to is drawn there, in document order, so the streams are the same for any
// thread count. Memory: at most 2 × threads chunks in flight, ~5 MiB each with their tokens.
import Foundation
import Tokenizers

/// The two split streams, spooled; `tail` corpora are already cut.
struct SplitStreams {
    let train: TokenSpool
    let val: TokenSpool

    /// Deletes both spool files.
    func remove() throws(DataError) {
        try train.remove()
        try val.remove()
    }
}

enum SplitEncoder {
    /// Text gathered into one chunk before it is handed to a worker.
    static let chunkBytes = 1 << 20

    /// Encodes `inputs` into spools in `directory` on `threads` threads. `digests` are phase (a)'s,
    /// one per input. `progress(index, bytesRead, fileBytes, tokensWritten)` follows each read of
    /// input `index`.
    static func encode(inputs: [String], split: DocumentSplit, tokenizer: any Tokenizer, plan: SplitPlan,
                       digests: [InputDigest], directory: String, threads: Int = 1, chunkBytes: Int = chunkBytes,
                       progress: ((_ index: Int, _ bytesRead: Int, _ fileBytes: Int, _ tokensWritten: Int) -> Void)?)
        throws(DataError) -> SplitStreams {
        let vocabularySize = tokenizer.vocabularySize
        let streams = SplitStreams(train: try TokenSpool(path: directory + "/train.spool", vocabularySize: vocabularySize),
                                   val: try TokenSpool(path: directory + "/val.spool", vocabularySize: vocabularySize))
        let pipeline = OrderedPipeline<TextChunk, EncodedChunk>(threads: threads, depth: 2 * threads) { (chunk) throws(DataError) in
            try chunk.encoded(with: tokenizer, path: inputs[chunk.input])
        }
        let router = SplitRouter(boundary: tokenizer.boundaryToken, plan: plan, streams: streams)
        // With more than one thread the spools are written on a thread of their own, so that reading
        // the inputs is all the reading thread does.
        let writer = threads > 1
            ? SerialWorker<EncodedChunk>(depth: 2, name: "descent spool") { (chunk) throws(DataError) in try router.route(chunk) }
            : nil
        let deliver = { (chunk: EncodedChunk) throws(DataError) in
            if let writer { try writer.send(chunk) } else { try router.route(chunk) }
        }
        var sink = ChunkingSink(pipeline: pipeline, chunkBytes: chunkBytes, documents: plan.documents, deliver: deliver)
        for (index, input) in inputs.enumerated() {
            sink.begin(input: index, path: input)
            let textBytes = try DocumentReader.read(path: input, split: split, into: &sink) { read, size in
                progress?(index, read, size, router.tokensRouted)
            }
            try sink.endInput()
            sink.digest.textBytes = textBytes
            guard sink.digest == digests[index] else { throw .inputChanged(path: input) }
        }
        try pipeline.finish(deliver: deliver)
        try writer?.finish()
        try router.finish()
        try streams.train.flush()
        try streams.val.flush()
        return streams
    }
}

/// Documents of one input, as read: their text pieces, each to be encoded on its own.
struct TextChunk: Sendable {
    enum Event: Sendable {
        case beginDocument
        /// A piece's byte range in `bytes`.
        case piece(Range<Int>)
    }

    /// The input's index in the prepare's inputs.
    let input: Int
    var bytes: [UInt8] = []
    var events: [Event] = []

    init(input: Int) { self.input = input }

    func encoded(with tokenizer: any Tokenizer, path: String) throws(DataError) -> EncodedChunk {
        var result = EncodedChunk()
        result.tokens.reserveCapacity(bytes.count)
        result.events.reserveCapacity(events.count)
        try bytes.withBuffer { (bytes) throws(DataError) in
            for event in events {
                switch event {
                case .beginDocument:
                    result.events.append(.beginDocument)
                case .piece(let range):
                    let start = result.tokens.count
                    do throws(TokenizerError) {
                        try tokenizer.encode(utf8: UnsafeBufferPointer(rebasing: bytes[range]), appendingTo: &result.tokens)
                    } catch .unknownCharacter {
                        // Phase (a) fitted the tokenizer to every scalar it read.
                        throw .inputChanged(path: path)
                    } catch {
                        throw .tokenizer(error)
                    }
                    result.events.append(.tokens(start..<result.tokens.count))
                }
            }
        }
        return result
    }
}

/// A `TextChunk`'s tokens, with the same events.
struct EncodedChunk: Sendable {
    enum Event: Sendable {
        case beginDocument
        case tokens(Range<Int>)
    }

    var tokens: [Int32] = []
    var events: [Event] = []
}

/// The reading side: documents into chunks, chunks into the pipeline, encoded chunks to `deliver`.
private struct ChunkingSink: DocumentSink {
    let pipeline: OrderedPipeline<TextChunk, EncodedChunk>
    let chunkBytes: Int
    /// Phase (a)'s document count over all inputs: more documents now means the inputs changed.
    let documents: Int
    let deliver: (EncodedChunk) throws(DataError) -> Void
    var digest = InputDigest()
    private var chunk = TextChunk(input: 0)
    private var path = ""
    private var documentsBegun = 0

    init(pipeline: OrderedPipeline<TextChunk, EncodedChunk>, chunkBytes: Int, documents: Int,
         deliver: @escaping (EncodedChunk) throws(DataError) -> Void) {
        self.pipeline = pipeline
        self.chunkBytes = chunkBytes
        self.documents = documents
        self.deliver = deliver
    }

    /// Starts input `input`.
    mutating func begin(input: Int, path: String) {
        chunk = TextChunk(input: input)
        self.path = path
        digest = InputDigest()
    }

    mutating func beginDocument() throws(DataError) {
        guard documentsBegun < documents else { throw .inputChanged(path: path) }
        documentsBegun += 1
        digest.beginDocument()
        chunk.events.append(.beginDocument)
    }

    mutating func text(_ piece: UnsafeBufferPointer<UInt8>) throws(DataError) {
        digest.add(piece)
        let start = chunk.bytes.count
        chunk.bytes.append(contentsOf: piece)
        chunk.events.append(.piece(start..<chunk.bytes.count))
        if chunk.bytes.count >= chunkBytes { try submit() }
    }

    mutating func endDocument() {}

    /// Hands over the input's last chunk.
    mutating func endInput() throws(DataError) {
        if !chunk.events.isEmpty { try submit() }
    }

    private mutating func submit() throws(DataError) {
        let full = chunk
        chunk = TextChunk(input: full.input)
        chunk.bytes.reserveCapacity(min(chunkBytes, SplitEncoder.chunkBytes) + 4096)
        try pipeline.submit(full, deliver: deliver)
    }
}

/// The writing side: encoded documents, in order, to their split's spool. Used by one thread at a
/// time (the spool writer, then the reading thread for `finish`); `tokensRouted` may be read from any.
private final class SplitRouter: @unchecked Sendable {
    let boundary: Int32
    let plan: SplitPlan
    let streams: SplitStreams
    private var selection: ValidationSelection
    private var current: TokenSpool
    private var hasTrainDocument = false
    private var hasValDocument = false
    private let lock = NSLock()
    private var routed = 0

    init(boundary: Int32, plan: SplitPlan, streams: SplitStreams) {
        self.boundary = boundary
        self.plan = plan
        self.streams = streams
        selection = plan.selection()
        current = streams.train
    }

    /// Tokens written to the spools so far.
    var tokensRouted: Int { lock.withLock { routed } }

    func route(_ chunk: EncodedChunk) throws(DataError) {
        for event in chunk.events {
            switch event {
            case .beginDocument:
                current = plan.holdout == .documents && selection.next() ? streams.val : streams.train
                if current === streams.train { hasTrainDocument = true } else { hasValDocument = true }
                try current.append(boundary)
            case .tokens(let range):
                let spool = current
                try chunk.tokens.withBuffer { (tokens) throws(DataError) in
                    try spool.append(UnsafeBufferPointer(rebasing: tokens[range]))
                }
            }
        }
        lock.withLock { routed += chunk.tokens.count + chunk.events.count { if case .beginDocument = $0 { true } else { false } } }
    }

    /// Closes the streams: each document split's with its final boundary; a `tail` corpus's one
    /// stream cut into train = B t[0..<cut] and val = B t[cut..<n] B.
    func finish() throws(DataError) {
        guard plan.holdout == .tail else {
            if hasTrainDocument { try streams.train.append(boundary) }
            if hasValDocument { try streams.val.append(boundary) }
            return
        }
        let train = streams.train, val = streams.val
        let n = train.count - 1
        let cut = try plan.tailCut(tokens: n)
        try val.append(boundary)
        try train.copy(tokens: (1 + cut)..<(1 + n), to: val)
        try val.append(boundary)
        try train.truncate(toCount: 1 + cut)
    }
}
