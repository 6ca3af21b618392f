// Assembling a document's text and handing it on in pieces. A document shorter than the target
// goes out whole; a longer one is cut at its first safe cut (Tokenizers' `SafeCut`: after a "\n"
// with no whitespace on either side) at or past the target, 1 MiB, and so on. A document with no
// safe cut from the target to the limit, 16 MiB (CRLF text, or one endless line), is cut at the last
// scalar boundary at or before the limit instead: the only place where a BPE tokenizer may see a
// pre-token split. Cuts are offsets from the piece's start, found in the text alone, so the pieces
// are the same whatever the chunking of the input. Memory: at most limit + target bytes.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tokenizers

/// Where `DocumentPieces` cuts a long document.
struct PieceSizes: Equatable {
    /// A piece ends at the first safe cut at or past this many bytes.
    var target: Int
    /// ... or at the last scalar boundary at or before this many, if no safe cut comes first.
    var limit: Int

    static let standard = PieceSizes(target: 1 << 20, limit: 16 << 20)

    init(target: Int, limit: Int) {
        precondition(target >= 2 && limit >= max(target, 4), "PieceSizes needs 2 <= target <= limit and limit >= 4")
        self.target = target
        self.limit = limit
    }
}

/// The current document's bytes not yet handed on, cut into pieces for a `DocumentSink`.
final class DocumentPieces {
    let sizes: PieceSizes
    private let maxCapacity: Int
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// Offsets of the current piece below this one are known not to be safe cuts.
    private var nextCandidate = 0

    init(sizes: PieceSizes = .standard) {
        self.sizes = sizes
        // After cutting, at most `limit` bytes remain, so `target` more always fit.
        maxCapacity = sizes.limit + sizes.target
        capacity = min(1 << 16, maxCapacity)
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    func begin<Sink: DocumentSink>(into sink: inout Sink) throws(DataError) {
        count = 0
        nextCandidate = 0
        try sink.beginDocument()
    }

    /// Adds whole scalars of valid UTF-8 to the document, handing on every piece that is complete.
    func append<Sink: DocumentSink>(_ bytes: UnsafeBufferPointer<UInt8>, into sink: inout Sink) throws(DataError) {
        guard let source = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            if count == capacity { grow() }
            let take = min(bytes.count - offset, capacity - count)
            (storage + count).update(from: source + offset, count: take)
            count += take
            offset += take
            try handOnPieces(into: &sink)
        }
    }

    /// Hands on the rest of the document as its last piece, then ends it.
    func end<Sink: DocumentSink>(into sink: inout Sink) throws(DataError) {
        if count > 0 { try sink.text(UnsafeBufferPointer(start: storage, count: count)) }
        count = 0
        nextCandidate = 0
        try sink.endDocument()
    }

    private func grow() {
        let grown = min(capacity * 2, maxCapacity)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        larger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity = grown
    }

    private func handOnPieces<Sink: DocumentSink>(into sink: inout Sink) throws(DataError) {
        // A cut at offset c needs the scalar at c, so it can be decided once count > c.
        while count > sizes.target, let cut = nextCut() {
            try sink.text(UnsafeBufferPointer(start: storage, count: cut))
            memmove(storage, storage + cut, count - cut)
            count -= cut
            nextCandidate = 0
        }
    }

    private func nextCut() -> Int? {
        let text = UnsafeBufferPointer(start: storage, count: count)
        let candidates = max(nextCandidate, sizes.target)..<(min(count - 1, sizes.limit) + 1)
        if !candidates.isEmpty {
            if let cut = SafeCut.first(in: text, candidates: candidates) { return cut }
            nextCandidate = candidates.upperBound
        }
        guard count > sizes.limit else { return nil }
        var cut = sizes.limit
        while storage[cut] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }
}
