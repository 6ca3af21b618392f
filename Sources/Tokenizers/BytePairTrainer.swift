// Training a byte-level BPE: count the corpus's pre-tokens once (deduplicated, with their counts,
// on several threads), then merge. Each merge takes the most frequent adjacent pair over all
// pre-tokens (weighted by their counts), makes it a token, and updates the pair counts of only
// the pre-tokens that contain it (an index pair → pre-tokens, and a max-heap of pair counts with
// lazy deletion), never recounting the corpus.
//
// Tie-breaking: among pairs of equal count, the one with the smallest left id wins, then the
// smallest right id. Pre-tokens are processed in byte order of their text, so the tokenizer is a
// pure function of the corpus and the options: the same file bytes for any thread count and any
// order in which pieces arrive in a batch. A pair whose bytes already form a token (it can happen:
// "ab"+"c" and "a"+"bc") is merged into that token and adds no id. Worked example: "aaabdaaabac"
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

/// Counts pre-tokens, then learns merges (see the file header).
public struct BytePairTrainer: TokenizerTrainer {
    public let options: BytePairOptions
    /// Text waiting to be counted, and where its pieces end.
    private var batch: [UInt8] = []
    private var pieceEnds: [Int] = []
    /// One table per counting thread, merged at the end.
    private var counts: [ByteStringTable]
    private static let batchBytes = 8 << 20

    public init(options: BytePairOptions) {
        self.options = options
        counts = (0..<max(1, options.threads)).map { _ in ByteStringTable(capacity: 1 << 14) }
    }

    public mutating func observe(utf8 text: UnsafeBufferPointer<UInt8>) {
        guard text.count > 0 else { return }
        batch.append(contentsOf: text)
        pieceEnds.append(batch.count)
        if batch.count >= Self.batchBytes { countBatch() }
    }

    /// Counts the batch: its pieces split into near-equal runs, one per thread, a long piece cut at
    /// a safe cut (a pre-token boundary of both patterns).
    private mutating func countBatch() {
        guard !batch.isEmpty else { return }
        let threads = counts.count
        let pieceEnds = self.pieceEnds
        var segments: [Range<Int>] = []
        batch.withUnsafeBufferPointer { text in
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
        }
        let pattern = PreTokenizer(pattern: options.pattern)
        let segmentList = segments
        counts.withUnsafeMutableBufferPointer { tables in
            batch.withUnsafeBufferPointer { text in
                let shared = CountingJob(text: text, tables: tables)
                DispatchQueue.concurrentPerform(iterations: segmentList.count) { t in
                    let segment = segmentList[t]
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
        batch.removeAll(keepingCapacity: true)
        self.pieceEnds.removeAll(keepingCapacity: true)
    }

    public mutating func makeTokenizer() throws(TokenizerError) -> any Tokenizer {
        try train()
    }

    /// The pre-tokens counted so far, in byte order, with their counts.
    mutating func preTokenCounts() -> [(bytes: [UInt8], count: Int)] {
        countBatch()
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

/// What the counting threads share: the batch (read only) and one table per thread (thread t
/// writes only table t), valid for the duration of `concurrentPerform`.
private struct CountingJob: @unchecked Sendable {
    let text: UnsafeBufferPointer<UInt8>
    let tables: UnsafeMutableBufferPointer<ByteStringTable>
}

/// The merge loop over deduplicated pre-tokens ("words").
struct PairMerger {
    /// Word w's symbols are `symbols[starts[w] ..< starts[w] + lengths[w]]` (shrinking in place).
    private var symbols: [Int32] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var weights: [Int] = []
    private var pairCounts: [UInt64: Int] = [:]
    /// Words that contained the pair when it was last counted (some may no longer contain it).
    private var pairWords: [UInt64: [Int32]] = [:]
    private var heap = PairHeap()
    /// Bytes of every token so far, to find a pair whose bytes already form a token.
    private var tokenBytes: [[UInt8]] = (0..<256).map { [UInt8($0)] }
    private var tokenOfBytes: [[UInt8]: Int32] = [:]

    init(words: [(bytes: [UInt8], count: Int)]) {
        for (index, word) in words.enumerated() {
            starts.append(symbols.count)
            lengths.append(word.bytes.count)
            weights.append(word.count)
            symbols += word.bytes.map { Int32($0) }
            for i in 0..<(max(word.bytes.count, 1) - 1) {
                let pair = Self.key(Int32(word.bytes[i]), Int32(word.bytes[i + 1]))
                pairCounts[pair, default: 0] += word.count
                if pairWords[pair]?.last != Int32(index) { pairWords[pair, default: []].append(Int32(index)) }
            }
        }
        for (byte, bytes) in tokenBytes.enumerated() { tokenOfBytes[bytes] = Int32(byte) }
        for (pair, count) in pairCounts { heap.push(count: count, pair: pair) }
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 { UInt64(UInt32(left)) << 32 | UInt64(UInt32(right)) }

    /// Up to `mergeCount` merges; fewer when no pair is left.
    mutating func learn(mergeCount: Int) -> [BytePairTokenizer.Merge] {
        var merges: [BytePairTokenizer.Merge] = []
        var lastVisit = [Int](repeating: -1, count: weights.count)
        var step = 0
        while merges.count < mergeCount, let top = heap.pop() {
            let current = pairCounts[top.pair] ?? 0
            guard current > 0 else { continue }
            if current != top.count {
                heap.push(count: current, pair: top.pair)
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
            step += 1
            var increased: Set<UInt64> = []
            for word in pairWords.removeValue(forKey: top.pair) ?? [] where lastVisit[Int(word)] != step {
                lastVisit[Int(word)] = step
                apply(left, right, token, to: Int(word), increased: &increased)
            }
            pairCounts[top.pair] = nil
            for pair in increased.sorted() {
                if let count = pairCounts[pair], count > 0 { heap.push(count: count, pair: pair) }
            }
        }
        return merges
    }

    /// Replaces each (left, right) in word `w`, left to right, by `token`, and moves the word's
    /// pair counts from its old pairs to its new ones.
    private mutating func apply(_ left: Int32, _ right: Int32, _ token: Int32, to w: Int, increased: inout Set<UInt64>) {
        let start = starts[w], length = lengths[w], weight = weights[w]
        var hasPair = false
        for i in start..<(start + length - 1) where symbols[i] == left && symbols[i + 1] == right {
            hasPair = true
            break
        }
        guard hasPair else { return }
        for i in start..<(start + length - 1) {
            pairCounts[Self.key(symbols[i], symbols[i + 1]), default: 0] -= weight
        }
        var read = start, write = start
        let end = start + length
        while read < end {
            if read + 1 < end && symbols[read] == left && symbols[read + 1] == right {
                symbols[write] = token
                read += 2
            } else {
                symbols[write] = symbols[read]
                read += 1
            }
            write += 1
        }
        lengths[w] = write - start
        for i in start..<(write - 1) {
            let pair = Self.key(symbols[i], symbols[i + 1])
            let before = pairCounts[pair, default: 0]
            pairCounts[pair] = before + weight
            if pairWords[pair]?.last != Int32(w) { pairWords[pair, default: []].append(Int32(w)) }
            increased.insert(pair)
        }
    }
}

/// Max-heap of (count, pair); ties pop the smallest pair (left id, then right id) first.
struct PairHeap {
    struct Entry {
        var count: Int
        var pair: UInt64
    }

    private var items: [Entry] = []

    @inline(__always)
    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.count != b.count ? a.count > b.count : a.pair < b.pair
    }

    mutating func push(count: Int, pair: UInt64) {
        items.append(Entry(count: count, pair: pair))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !Self.before(items[child], items[parent]) { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < items.count && Self.before(items[left], items[best]) { best = left }
                if right < items.count && Self.before(items[right], items[best]) { best = right }
                if best == parent { break }
                items.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
