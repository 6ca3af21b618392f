// Training a byte-level BPE: count the corpus's pre-tokens once (deduplicated, with their counts,
// on several threads), then merge. Each merge takes the most frequent adjacent pair over all
// pre-tokens (weighted by their counts), makes it a token, and updates the pair counts of only
// the pre-tokens that contain it (an index pair → pre-tokens, and a max-heap of pair counts with
// lazy deletion), never recounting the corpus.
//
// Tie-breaking: among pairs of equal count, the one with the smallest left id wins, then the
// smallest right id. Pre-tokens are processed in byte order of their text, so the tokenizer is a
// pure function of the corpus and the options: the same file bytes for any thread count and any
// order in which pieces arrive in a batch. A pair whose bytes already form a token would be merged
// into that token and add no id, so tokens stay distinct by their bytes (tiktoken's rank file maps
// bytes to one rank); no corpus tried has produced one. Worked example: "aaabdaaabac"
// gives aa (count 4), then ab (count 2, tied with aa·a, and 97 < 256), then aa·ab.
// Not handled: a minimum pair frequency (every pair seen once may merge), and special tokens other
// than the boundary.
import Dispatch
import Foundation

/// Options of byte-level BPE training.
public struct BytePairOptions: Sendable, Equatable {
    /// Target vocabulary size, the boundary token included: 256 bytes + merges + 1.
    public var vocabularySize: Int
    public var pattern: SplitPattern
    /// Threads that count pre-tokens.
    public var threads: Int

    /// The smallest vocabulary: the 256 bytes and `<|endoftext|>`.
    public static let minimumVocabularySize = 257
    /// The largest: ids stay far below Int32's range and a shard's token width (4 bytes) holds them.
    public static let maximumVocabularySize = 1 << 20

    public init(vocabularySize: Int, pattern: SplitPattern = .gpt4, threads: Int = 2) {
        self.vocabularySize = vocabularySize
        self.pattern = pattern
        self.threads = threads
    }
}

/// Counts pre-tokens, then learns merges (see the file header). Text is gathered into batches
/// of 8 MiB; each full batch is counted in the background (on `options.threads` threads) while the
/// next one is read. A copy of a trainer shares its counts: use each trainer as one value.
public struct BytePairTrainer: TokenizerTrainer {
    public let options: BytePairOptions
    /// Text waiting to be counted, and where its pieces end.
    private var batch: [UInt8] = []
    private var pieceEnds: [Int] = []
    private let counter: PreTokenCounter
    private static let batchBytes = 8 << 20

    public init(options: BytePairOptions) {
        self.options = options
        counter = PreTokenCounter(threads: max(1, options.threads), pattern: PreTokenizer(pattern: options.pattern))
    }

    public mutating func observe(utf8 text: UnsafeBufferPointer<UInt8>) {
        guard text.count > 0 else { return }
        batch.append(contentsOf: text)
        pieceEnds.append(batch.count)
        if batch.count >= Self.batchBytes { submitBatch() }
    }

    private mutating func submitBatch() {
        guard !batch.isEmpty else { return }
        counter.submit(text: batch, pieceEnds: pieceEnds)
        batch = []
        batch.reserveCapacity(Self.batchBytes + (1 << 20))
        pieceEnds = []
    }

    public mutating func makeTokenizer() throws(TokenizerError) -> any Tokenizer {
        try train()
    }

    /// The pre-tokens counted so far, in byte order, with their counts.
    mutating func preTokenCounts() -> [(bytes: [UInt8], count: Int)] {
        submitBatch()
        let counts = counter.finish()
        var total = ByteStringTable(capacity: counts[0].count)
        for table in counts {
            table.arena.withUnsafeBufferPointer { arena in
                for index in 0..<table.count {
                    let start = table.starts[index]
                    total.add(arena.baseAddress! + start, table.starts[index + 1] - start, amount: table.values[index])
                }
            }
        }
        var words = (0..<total.count).map { (bytes: Array(total.key($0)), count: total.values[$0]) }
        words.sort { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        return words
    }

    /// Learns the merges and makes the tokenizer.
    public mutating func train() throws(TokenizerError) -> BytePairTokenizer {
        let target = options.vocabularySize
        guard (BytePairOptions.minimumVocabularySize...BytePairOptions.maximumVocabularySize).contains(target) else {
            throw .vocabularySize(requested: target, possible: nil)
        }
        var merger = PairMerger(words: preTokenCounts())
        let merges = merger.learn(mergeCount: target - BytePairOptions.minimumVocabularySize)
        guard merges.count == target - BytePairOptions.minimumVocabularySize else {
            throw .vocabularySize(requested: target, possible: merges.count + BytePairOptions.minimumVocabularySize)
        }
        return try BytePairTokenizer(pattern: options.pattern, merges: merges)
    }
}

/// Counts batches of pre-tokens into one table per thread, a batch at a time in the background.
/// Only the job in flight touches `text`, `pieceEnds` and `tables` until `wait` returns; table t
/// is written only by segment t of a batch, so the counts do not depend on timing.
private final class PreTokenCounter: @unchecked Sendable {
    private let threads: Int
    private let pattern: PreTokenizer
    private var tables: [ByteStringTable]
    private var text: [UInt8] = []
    private var pieceEnds: [Int] = []
    private let group = DispatchGroup()

    init(threads: Int, pattern: PreTokenizer) {
        self.threads = threads
        self.pattern = pattern
        tables = (0..<threads).map { _ in ByteStringTable(capacity: 1 << 14) }
    }

    /// Counts `text` (pieces ending at `pieceEnds`) in the background, after the batch before it.
    func submit(text: [UInt8], pieceEnds: [Int]) {
        group.wait()
        self.text = text
        self.pieceEnds = pieceEnds
        DispatchQueue.global().async(group: group) { self.countBatch() }
    }

    /// Waits for the last batch and gives the tables.
    func finish() -> [ByteStringTable] {
        group.wait()
        return tables
    }

    /// The batch's pieces split into near-equal runs, one per thread, a long piece cut at a safe
    /// cut (a pre-token boundary of both patterns).
    private func segments() -> [Range<Int>] {
        text.withUnsafeBufferPointer { text in
            var segments: [Range<Int>] = []
            var start = 0
            for t in 0..<threads where start < text.count {
                let target = t == threads - 1 ? text.count : max(start, text.count * (t + 1) / threads)
                var end = text.count
                if target < text.count {
                    // The first piece end at or after the target, or a safe cut before it.
                    let pieceEnd = pieceEnds.first { $0 >= target } ?? text.count
                    let lower = max(start + 1, target)
                    let cut = lower < pieceEnd ? SafeCut.first(in: text, candidates: lower..<pieceEnd) : nil
                    end = cut ?? pieceEnd
                }
                segments.append(start..<end)
                start = end
            }
            return segments
        }
    }

    private func countBatch() {
        let segments = segments()
        let pattern = self.pattern, pieceEnds = self.pieceEnds
        tables.withUnsafeMutableBufferPointer { tables in
            text.withUnsafeBufferPointer { text in
                let shared = CountingJob(text: text, tables: tables)
                DispatchQueue.concurrentPerform(iterations: segments.count) { t in
                    let segment = segments[t]
                    // The pieces of this segment: cut at the batch's piece ends inside it.
                    var start = segment.lowerBound
                    var ends = pieceEnds.filter { $0 > segment.lowerBound && $0 < segment.upperBound }
                    ends.append(segment.upperBound)
                    let base = shared.text.baseAddress!
                    for end in ends {
                        let piece = UnsafeBufferPointer(start: base + start, count: end - start)
                        pattern.forEachPiece(in: piece) { s, e in shared.tables[t].add(base + start + s, e - s, amount: 1) }
                        start = end
                    }
                }
            }
        }
    }
}

/// What the counting threads share: the batch (read only) and one table per thread (thread t
/// writes only table t), valid for the duration of `concurrentPerform`.
private struct CountingJob: @unchecked Sendable {
    let text: UnsafeBufferPointer<UInt8>
    let tables: UnsafeMutableBufferPointer<ByteStringTable>
}

/// The merge loop over deduplicated pre-tokens ("words"). Pairs get dense ids on first sight
/// (an open-addressing table from the packed pair), so counts and word lists are plain arrays.
struct PairMerger {
    /// Word w's symbols are `symbols[starts[w] ..< starts[w] + lengths[w]]` (shrinking in place).
    private var symbols: [Int32] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var weights: [Int] = []
    /// Pair table: slot → pair id + 1 (0 = empty).
    private var slots: [Int32] = [Int32](repeating: 0, count: 1 << 16)
    private var pairKeys: [UInt64] = []
    private var pairCounts: [Int] = []
    /// Words that contained the pair when it was counted (some may no longer contain it).
    private var pairWords: [[Int32]] = []
    private var heap = BinaryHeap<PairCount>()
    /// Bytes of every token so far, to find a pair whose bytes already form a token.
    private var tokenBytes: [[UInt8]] = (0..<256).map { [UInt8($0)] }
    private var tokenOfBytes: [[UInt8]: Int32] = [:]
    /// Pairs whose count rose during the current merge, and a stamp per pair to list each once.
    private var risen: [Int32] = []
    private var risenStamp: [Int] = []
    private var stamp = 0

    init(words: [(bytes: [UInt8], count: Int)]) {
        for (index, word) in words.enumerated() {
            starts.append(symbols.count)
            lengths.append(word.bytes.count)
            weights.append(word.count)
            symbols += word.bytes.map { Int32($0) }
            for i in 0..<(max(word.bytes.count, 1) - 1) {
                add(Int32(word.bytes[i]), Int32(word.bytes[i + 1]), word.count, word: Int32(index))
            }
        }
        for (byte, bytes) in tokenBytes.enumerated() { tokenOfBytes[bytes] = Int32(byte) }
        for id in pairKeys.indices { heap.push(PairCount(count: pairCounts[id], pair: pairKeys[id])) }
        risen.removeAll()
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 { UInt64(UInt32(left)) << 32 | UInt64(UInt32(right)) }

    @inline(__always)
    private static func slot(_ key: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) &>> 40) & mask
    }

    /// The id of a pair, made on first sight.
    @inline(__always)
    private mutating func pairId(_ key: UInt64) -> Int {
        let mask = slots.count - 1
        var slot = Self.slot(key, mask: mask)
        while true {
            let id = Int(slots[slot]) - 1
            if id < 0 { break }
            if pairKeys[id] == key { return id }
            slot = (slot + 1) & mask
        }
        let id = pairKeys.count
        pairKeys.append(key)
        pairCounts.append(0)
        pairWords.append([])
        risenStamp.append(-1)
        slots[slot] = Int32(id + 1)
        if pairKeys.count * 2 > slots.count { growSlots() }
        return id
    }

    private mutating func growSlots() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, key) in pairKeys.enumerated() {
            var slot = Self.slot(key, mask: mask)
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id + 1)
        }
    }

    /// Adds `delta` to the pair's count; a rise also lists `word` under the pair.
    @inline(__always)
    private mutating func add(_ left: Int32, _ right: Int32, _ delta: Int, word: Int32) {
        let id = pairId(Self.key(left, right))
        pairCounts[id] += delta
        guard delta > 0 else { return }
        if pairWords[id].last != word { pairWords[id].append(word) }
        if risenStamp[id] != stamp {
            risenStamp[id] = stamp
            risen.append(Int32(id))
        }
    }

    /// Up to `mergeCount` merges; fewer when no pair is left.
    mutating func learn(mergeCount: Int) -> [BytePairTokenizer.Merge] {
        var merges: [BytePairTokenizer.Merge] = []
        var lastVisit = [Int](repeating: -1, count: weights.count)
        while merges.count < mergeCount, let top = heap.pop() {
            let id = pairId(top.pair)
            let current = pairCounts[id]
            guard current > 0 else { continue }
            if current != top.count {
                heap.push(PairCount(count: current, pair: top.pair))
                continue
            }
            let left = Int32(truncatingIfNeeded: top.pair >> 32), right = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
            let bytes = tokenBytes[Int(left)] + tokenBytes[Int(right)]
            let token: Int32
            if let existing = tokenOfBytes[bytes] {
                token = existing
            } else {
                token = Int32(tokenBytes.count)
                tokenBytes.append(bytes)
                tokenOfBytes[bytes] = token
                merges.append(.init(left, right))
            }
            stamp += 1
            let words = pairWords[id]
            pairWords[id] = []
            for word in words where lastVisit[Int(word)] != stamp {
                lastVisit[Int(word)] = stamp
                apply(left, right, token, to: Int(word))
            }
            pairCounts[id] = 0
            for risenId in risen where pairCounts[Int(risenId)] > 0 {
                heap.push(PairCount(count: pairCounts[Int(risenId)], pair: pairKeys[Int(risenId)]))
            }
            risen.removeAll(keepingCapacity: true)
        }
        return merges
    }

    /// Replaces each (left, right) in word `w`, left to right, by `token`, moving the counts of
    /// the neighbouring pairs at each occurrence (x·left → x·token, right·y → token·y).
    private mutating func apply(_ left: Int32, _ right: Int32, _ token: Int32, to w: Int) {
        let start = starts[w], end = start + lengths[w], weight = weights[w], word = Int32(w)
        var read = start, write = start
        while read < end {
            if read + 1 < end && symbols[read] == left && symbols[read + 1] == right {
                if write > start {
                    let previous = symbols[write - 1]
                    add(previous, left, -weight, word: word)
                    add(previous, token, weight, word: word)
                }
                if read + 2 < end {
                    let next = symbols[read + 2]
                    add(right, next, -weight, word: word)
                    add(token, next, weight, word: word)
                }
                symbols[write] = token
                read += 2
            } else {
                symbols[write] = symbols[read]
                read += 1
            }
            write += 1
        }
        lengths[w] = write - start
    }
}

/// A pair's count as the merge loop's heap orders it: the highest count first, and among equal
/// counts the smallest pair (left id, then right id).
struct PairCount: Comparable {
    var count: Int
    var pair: UInt64

    static func < (a: PairCount, b: PairCount) -> Bool {
        a.count != b.count ? a.count > b.count : a.pair < b.pair
    }
}
