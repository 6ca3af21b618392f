// Phase (a) of `descent prepare`: read every document once, feed its text to the tokenizer
// trainer, count documents, and take a digest of each input so that the encoding pass can tell an
// input that changed in between from one that did not. Not handled: what the trainer learns
// (that is the tokenizer kind's business, in the Tokenizers module).
import Tokenizers

/// What the first pass learnt from the inputs.
struct CorpusFit {
    let tokenizer: any Tokenizer
    let documents: Int
    /// The inputs as the manifest records them.
    let sources: [DatasetManifest.Source]
    /// One per input, compared with what the encoding pass reads.
    let digests: [InputDigest]

    /// Reads `inputs` in order and fits a tokenizer of `kind`. `progress(index, bytesRead, fileBytes)`
    /// follows each chunk of input `index`.
    /// With `existing`, nothing is fitted: the inputs are checked to be encodable by it instead
    /// (a character outside its vocabulary is reported with its file, document and position).
    static func run(inputs: [String], split: DocumentSplit, kind: TokenizerKind, settings: TokenizerSettings = TokenizerSettings(),
                    existing: (any Tokenizer)? = nil,
                    progress: ((_ index: Int, _ bytesRead: Int, _ fileBytes: Int) -> Void)?) throws(DataError) -> CorpusFit {
        var sink = FitSink(trainer: existing.map { ExistingTokenizer(tokenizer: $0) } ?? kind.makeTrainer(settings))
        sink.checked = existing
        var sources: [DatasetManifest.Source] = []
        var digests: [InputDigest] = []
        for (index, input) in inputs.enumerated() {
            sink.digest = InputDigest()
            sink.path = input
            let textBytes = try DocumentReader.read(path: input, split: split, into: &sink) { read, size in
                progress?(index, read, size)
            }
            sink.digest.textBytes = textBytes
            digests.append(sink.digest)
            sources.append(.init(path: input, bytes: try InputFile(path: input).size, textBytes: textBytes))
        }
        // An empty corpus is reported as such, not as a vocabulary it cannot fill.
        guard digests.contains(where: { $0.documents > 0 }) else { throw .emptyCorpus(inputs: inputs) }
        let tokenizer: any Tokenizer
        do { tokenizer = try sink.trainer.makeTokenizer() } catch { throw .tokenizer(error) }
        return CorpusFit(tokenizer: tokenizer, documents: digests.reduce(0) { $0 + $1.documents },
                         sources: sources, digests: digests)
    }
}

private struct FitSink: DocumentSink {
    var trainer: any TokenizerTrainer
    var digest = InputDigest()
    /// A given tokenizer that must encode every piece (nil when one is being fitted).
    var checked: (any Tokenizer)?
    var path = ""
    /// Scalars of the current document before the current piece.
    private var scalarsBefore = 0
    private var tokens: [Int32] = []

    init(trainer: any TokenizerTrainer) { self.trainer = trainer }

    mutating func beginDocument() {
        digest.beginDocument()
        scalarsBefore = 0
    }

    mutating func text(_ piece: UnsafeBufferPointer<UInt8>) throws(DataError) {
        trainer.observe(utf8: piece)
        digest.add(piece)
        if let checked, !checked.encodesAnyText {
            do {
                try checked.encode(utf8: piece, appendingTo: &tokens)
            } catch .unknownCharacter(let scalar, let offset) {
                throw .unknownCharacterInInput(path: path, document: digest.documents, offset: scalarsBefore + offset + 1, scalar: scalar)
            } catch {
                throw .tokenizer(error)
            }
            tokens.removeAll(keepingCapacity: true)
            for byte in piece where byte & 0xC0 != 0x80 { scalarsBefore += 1 }
        }
    }

    mutating func endDocument() {}
}

/// One input as a pass of `descent prepare` read it: its documents and a fingerprint of their
/// text. Equal digests in both passes mean the input did not change in between (up to a 64-bit
/// hash collision; the fingerprint is not meant to withstand an adversary).
struct InputDigest: Equatable {
    var documents = 0
    var textBytes = 0
    private(set) var fingerprint: UInt64 = 0x243F_6A88_85A3_08D3

    mutating func beginDocument() {
        documents += 1
        fingerprint = Self.mix(fingerprint ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// Folds in a piece of document text, eight bytes at a time. Pieces are cut at offsets that
    /// depend on the text alone, so both passes fold the same pieces.
    mutating func add(_ piece: UnsafeBufferPointer<UInt8>) {
        guard let base = piece.baseAddress else { return }
        var hash = fingerprint ^ UInt64(piece.count)
        var i = 0
        while i &+ 8 <= piece.count {
            hash = (hash ^ UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
            i &+= 8
        }
        var tail: UInt64 = 0
        while i < piece.count {
            tail = tail << 8 | UInt64(piece[i])
            i &+= 1
        }
        fingerprint = Self.mix(hash ^ tail)
    }

    /// MurmurHash3's 64-bit finaliser.
    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }
}

/// The "trainer" of `--tokenizer-from`: it learns nothing and gives the tokenizer it was given.
private struct ExistingTokenizer: TokenizerTrainer {
    let tokenizer: any Tokenizer
    mutating func observe(utf8 text: UnsafeBufferPointer<UInt8>) {}
    mutating func makeTokenizer() throws(TokenizerError) -> any Tokenizer { tokenizer }
}
