// Training batches streamed from a split's shards, with a position that makes resume bit-exact.
//
// Order: epochs of the split; in each epoch the shards in manifest order; within shard s of epoch e
// the shard's examples in a permutation drawn by Fisher–Yates from Xoshiro256(SplitMix64.mix(seed,
// e, s)). A batch may span shards and epochs. The permutation is a pure function of (seed, e, s), so
// the position (epoch, shard, cursor) is all a checkpoint needs, as in llm.c's dataloader
// (current_shard_idx, current_sample_idx). Memory: one shard's tokens and its permutation.
// Not handled: shuffling the shard order (shards are sequential, llm.c shuffles them too, but with
// one-to-few shards per dataset here it buys nothing), and multi-process sharding of batches.
import Core

/// Where a `BatchLoader` stands: save it in a checkpoint, pass it back to resume exactly.
public struct LoaderPosition: Codable, Equatable, Sendable {
    /// Completed passes over the split.
    public var epoch: Int
    /// Shard being read, in manifest order.
    public var shardIndex: Int
    /// Examples of the current shard's permutation already served.
    public var cursor: Int
    // For validation on restore.
    public var split: DatasetSplit
    public var seed: UInt64
    /// `PreparedDataset.fingerprint` of the dataset.
    public var datasetFingerprint: String
    public var shardCount: Int

    public init(epoch: Int, shardIndex: Int, cursor: Int, split: DatasetSplit, seed: UInt64,
                datasetFingerprint: String, shardCount: Int) {
        self.epoch = epoch
        self.shardIndex = shardIndex
        self.cursor = cursor
        self.split = split
        self.seed = seed
        self.datasetFingerprint = datasetFingerprint
        self.shardCount = shardCount
    }
}

/// Streams shuffled (context, target) batches of one split.
public final class BatchLoader {
    public let dataset: PreparedDataset
    public let split: DatasetSplit
    /// T: tokens of context per example.
    public let contextLength: Int
    /// B: examples per batch.
    public let batchSize: Int
    public let seed: UInt64
    /// Examples in one pass over the split (stream length − 1).
    public let examplesPerEpoch: Int

    private let window: ShardWindow
    private let shardExampleCounts: [Int]
    /// Examples of the shards before each shard, for `epochFraction`.
    private let examplesBeforeShard: [Int]
    private var epoch = 0
    private var shardIndex = 0
    private var cursor = 0
    /// Local example indices of the loaded shard, shuffled for (permutationEpoch, window.loadedShard).
    private var permutation: [Int32] = []
    private var permutationEpoch = -1
    private var permutationShard = -1

    /// `position`: resume from a saved `position` (it must come from a loader over the same dataset,
    /// split and seed). Throws `emptySplit` for a split without examples, `badOption` for sizes < 1.
    public init(dataset: PreparedDataset, split: DatasetSplit = .train, contextLength: Int, batchSize: Int,
                seed: UInt64, position: LoaderPosition? = nil) throws(DataError) {
        guard contextLength >= 1 else { throw .badOption(name: "contextLength", value: "\(contextLength)", allowed: "at least 1") }
        guard batchSize >= 1 else { throw .badOption(name: "batchSize", value: "\(batchSize)", allowed: "at least 1") }
        self.dataset = dataset
        self.split = split
        self.contextLength = contextLength
        self.batchSize = batchSize
        self.seed = seed
        examplesPerEpoch = dataset.exampleCount(split)
        guard examplesPerEpoch > 0 else { throw .emptySplit(dataset: dataset.directory, split: split) }
        let window = ShardWindow(dataset: dataset, split: split, contextLength: contextLength)
        self.window = window
        shardExampleCounts = window.shards.indices.map { window.exampleCount(ofShard: $0) }
        var before: [Int] = []
        var sum = 0
        for count in shardExampleCounts {
            before.append(sum)
            sum += count
        }
        examplesBeforeShard = before

        if let position {
            let count = window.shards.count
            func mismatch(_ reason: String) -> DataError { .loaderPositionMismatch(reason: reason) }
            guard position.datasetFingerprint == dataset.fingerprint else {
                throw mismatch("it was saved for dataset \(position.datasetFingerprint.prefix(12))…, this is \(dataset.fingerprint.prefix(12))…")
            }
            guard position.split == split else { throw mismatch("it is for the \(position.split.rawValue) split, not \(split.rawValue)") }
            guard position.seed == seed else { throw mismatch("it was saved with seed \(position.seed), not \(seed)") }
            guard position.shardCount == count else { throw mismatch("it has \(position.shardCount) shards, the dataset \(count)") }
            // The epoch bound keeps `examplesSeen` from overflowing.
            guard (0..<(Int.max / 2 / examplesPerEpoch)).contains(position.epoch), (0..<count).contains(position.shardIndex),
                  (0...shardExampleCounts[position.shardIndex]).contains(position.cursor) else {
                throw mismatch("epoch \(position.epoch), shard \(position.shardIndex), cursor \(position.cursor) is out of range")
            }
            epoch = position.epoch
            shardIndex = position.shardIndex
            cursor = position.cursor
        }
        try prepareCurrentShard()
    }

    /// The position after the last batch served.
    public var position: LoaderPosition {
        LoaderPosition(epoch: epoch, shardIndex: shardIndex, cursor: cursor, split: split, seed: seed,
                       datasetFingerprint: dataset.fingerprint, shardCount: window.shards.count)
    }

    /// Examples served since the start of epoch 0.
    public var examplesSeen: Int {
        epoch * examplesPerEpoch + examplesBeforeShard[shardIndex] + cursor
    }

    /// Epochs completed, with the fraction of the current one: 2.25 = a quarter into the third epoch.
    public var epochFraction: Double {
        Double(epoch) + Double(examplesBeforeShard[shardIndex] + cursor) / Double(examplesPerEpoch)
    }

    /// Fills the next batch: `contexts[0 ..< B·T]` (row b = example b's context, oldest token first)
    /// and `targets[0 ..< B]`. The arrays must already hold at least that many elements; they are
    /// written in place, never reallocated. On error the position is that of the previous batch.
    public func next(contexts: inout [Int32], targets: inout [Int32]) throws(DataError) {
        let t = contextLength
        precondition(contexts.count >= batchSize * t && targets.count >= batchSize,
                     "BatchLoader.next needs contexts of \(batchSize * t) and targets of \(batchSize) elements")
        let saved = (epoch, shardIndex, cursor)
        var row = 0
        do {
            while row < batchSize {
                if cursor == shardExampleCounts[shardIndex] {
                    shardIndex += 1
                    if shardIndex == window.shards.count {
                        shardIndex = 0
                        epoch += 1
                    }
                    cursor = 0
                    continue
                }
                try prepareCurrentShard()
                let take = min(batchSize - row, shardExampleCounts[shardIndex] - cursor)
                fill(rows: row..<(row + take), contexts: &contexts, targets: &targets)
                row += take
                cursor += take
            }
        } catch {
            (epoch, shardIndex, cursor) = saved
            throw error
        }
    }

    private func fill(rows: Range<Int>, contexts: inout [Int32], targets: inout [Int32]) {
        let t = contextLength
        let boundary = window.boundaryToken
        let start = cursor
        window.tokens.withUnsafeBufferPointer { tokens in
            permutation.withUnsafeBufferPointer { order in
                contexts.withUnsafeMutableBufferPointer { contexts in
                    targets.withUnsafeMutableBufferPointer { targets in
                        let base = tokens.baseAddress!
                        for (offset, row) in rows.enumerated() {
                            // Local index i sits at tokens[t + i]; its context is tokens[i ..< i + t].
                            let local = Int(order[start &+ offset])
                            ContextWindow.copy(contexts.baseAddress! + row &* t, from: base + local,
                                               contextLength: t, boundaryToken: boundary)
                            targets[row] = base[t &+ local]
                        }
                    }
                }
            }
        }
    }

    /// Loads the current shard and its permutation, if not loaded yet.
    private func prepareCurrentShard() throws(DataError) {
        if window.loadedShard != shardIndex { try window.load(shardIndex) }
        if permutationShard != shardIndex || permutationEpoch != epoch {
            Self.shuffledExamples(&permutation, first: window.firstExample(ofShard: shardIndex),
                                  count: shardExampleCounts[shardIndex],
                                  seed: SplitMix64.mix(seed, UInt64(epoch), UInt64(shardIndex)))
            permutationShard = shardIndex
            permutationEpoch = epoch
        }
    }

    /// `order` = first ..< first + count shuffled by Fisher–Yates from Xoshiro256(seed): the same
    /// draws as `Xoshiro256.shuffle`, inlined over Int32 to run at ~3 ns an element.
    static func shuffledExamples(_ order: inout [Int32], first: Int, count: Int, seed: UInt64) {
        order.removeAll(keepingCapacity: true)
        order.reserveCapacity(count)
        for i in 0..<count { order.append(Int32(first + i)) }
        var generator = Xoshiro256(seed: seed)
        guard count > 1 else { return }
        order.withUnsafeMutableBufferPointer { values in
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = generator.nextInt(below: i + 1)
                if i != j { values.swapAt(i, j) }
            }
        }
    }
}
