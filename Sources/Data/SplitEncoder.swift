// Phase (c) of `descent prepare`: read the inputs again, encode every document (piece by piece)
// with the fitted tokenizer, and route its tokens to its split's stream, spooled to a file:
// B d₁ B d₂ … B per split (every document preceded by the boundary token B, the stream ending with
// one). Lengths are known only once this is done, which is why shards are cut afterwards (phase d).
// An input that reads differently from phase (a) (other documents, other bytes, a scalar outside
// the fitted vocabulary) is reported as `inputChanged`, never silently mixed in.
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
    /// Encodes `inputs` into spools in `directory`. `digests` are phase (a)'s, one per input.
    /// `progress(index, bytesRead, fileBytes)` follows each chunk of input `index`.
    static func encode(inputs: [String], split: DocumentSplit, tokenizer: any Tokenizer, plan: SplitPlan,
                       digests: [InputDigest], directory: String,
                       progress: ((_ index: Int, _ bytesRead: Int, _ fileBytes: Int) -> Void)?) throws(DataError) -> SplitStreams {
        let vocabularySize = tokenizer.vocabularySize
        let streams = SplitStreams(train: try TokenSpool(path: directory + "/train.spool", vocabularySize: vocabularySize),
                                   val: try TokenSpool(path: directory + "/val.spool", vocabularySize: vocabularySize))
        var sink = EncodeSink(tokenizer: tokenizer, plan: plan, streams: streams)
        for (index, input) in inputs.enumerated() {
            sink.path = input
            sink.digest = InputDigest()
            let textBytes = try DocumentReader.read(path: input, split: split, into: &sink) { read, size in
                progress?(index, read, size)
            }
            sink.digest.textBytes = textBytes
            guard sink.digest == digests[index] else { throw .inputChanged(path: input) }
        }
        try sink.finish()
        try streams.train.flush()
        try streams.val.flush()
        return streams
    }
}

private struct EncodeSink: DocumentSink {
    let tokenizer: any Tokenizer
    let boundary: Int32
    let plan: SplitPlan
    let streams: SplitStreams
    var selection: ValidationSelection
    /// The input being read, for errors.
    var path = ""
    var digest = InputDigest()
    private var documentsBegun = 0
    private var current: TokenSpool
    private var hasTrainDocument = false
    private var hasValDocument = false
    /// One piece's tokens, reused.
    private var tokens: [Int32] = []

    init(tokenizer: any Tokenizer, plan: SplitPlan, streams: SplitStreams) {
        self.tokenizer = tokenizer
        boundary = tokenizer.boundaryToken
        self.plan = plan
        self.streams = streams
        selection = plan.selection()
        current = streams.train
    }

    mutating func beginDocument() throws(DataError) {
        guard documentsBegun < plan.documents else { throw .inputChanged(path: path) }
        documentsBegun += 1
        digest.beginDocument()
        current = plan.holdout == .documents && selection.next() ? streams.val : streams.train
        if current === streams.train { hasTrainDocument = true } else { hasValDocument = true }
        try current.append(boundary)
    }

    mutating func text(_ piece: UnsafeBufferPointer<UInt8>) throws(DataError) {
        digest.add(piece)
        do {
            try tokenizer.encode(utf8: piece, appendingTo: &tokens)
        } catch .unknownCharacter {
            // Phase (a) fitted the tokenizer to every scalar it read.
            throw .inputChanged(path: path)
        } catch {
            throw .tokenizer(error)
        }
        try current.append(tokens)
        tokens.removeAll(keepingCapacity: true)
    }

    mutating func endDocument() {}

    /// Closes the streams: each document split's with its final boundary; a `tail` corpus's one
    /// stream cut into train = B t[0..<cut] and val = B t[cut..<n] B.
    mutating func finish() throws(DataError) {
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
