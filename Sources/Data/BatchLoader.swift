// Training batches streamed from a split's shards, with a position that makes resume bit-exact.
//
// Order: epochs of the split; in each epoch the shards in the epoch's order (`ShardOrder`); within
// shard s of epoch e the shard's examples in a permutation drawn by Fisher–Yates from
// Xoshiro256(SplitMix64.mix(seed, e, s)). A batch may span shards and epochs. Both orders are pure
// functions of (seed, e), so the position (epoch, place in the epoch's shard order, cursor) is all
// a checkpoint needs, as in llm.c's dataloader (current_shard_idx, current_sample_idx). The shard
// after the current one is read on a background thread (`ShardWindow`), so a step rarely waits.
// Memory: two shards' tokens, the current shard's permutation, and T tokens of history per shard.
// Not handled: multi-process sharding of batches.
import Core

/// How a loader orders the shards of an epoch.
public enum ShardOrder: String, Codable, Sendable {
    /// Manifest order in every epoch: the order of loaders written before shard shuffling, kept so
    /// that their checkpoints resume exactly.
    case sequential
    /// A permutation of the shards per epoch, drawn by Fisher–Yates from
    /// Xoshiro256(SplitMix64.mix(seed, epoch, `BatchLoader.shardOrderStream`)).
    case shuffled
}

/// Where a `BatchLoader` stands: save it in a checkpoint, pass it back to resume exactly.
public struct LoaderPosition: Codable, Equatable, Sendable {
    /// Completed passes over the split.
    public var epoch: Int
    /// The current shard's place in the epoch's shard order (under `sequential`, the shard itself).
    public var shardIndex: Int
    /// Examples of the current shard's permutation already served.
    public var cursor: Int
    public var shardOrder: ShardOrder
    // For validation on restore.
    public var split: DatasetSplit
    public var seed: UInt64
    /// `PreparedDataset.fingerprint` of the dataset.
    public var datasetFingerprint: String
    public var shardCount: Int

    public init(epoch: Int, shardIndex: Int, cursor: Int, shardOrder: ShardOrder, split: DatasetSplit, seed: UInt64,
                datasetFingerprint: String, shardCount: Int) {
        self.epoch = epoch
        self.shardIndex = shardIndex
        self.cursor = cursor
        self.shardOrder = shardOrder
        self.split = split
        self.seed = seed
        self.datasetFingerprint = datasetFingerprint
        self.shardCount = shardCount
    }

    enum CodingKeys: String, CodingKey {
        case epoch, shardIndex, cursor, shardOrder, split, seed, datasetFingerprint, shardCount
    }

    /// Positions saved before shard shuffling have no `shardOrder`: they read as `sequential`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try container.decode(Int.self, forKey: .epoch)
        shardIndex = try container.decode(Int.self, forKey: .shardIndex)
        cursor = try container.decode(Int.self, forKey: .cursor)
        shardOrder = try container.decodeIfPresent(ShardOrder.self, forKey: .shardOrder) ?? .sequential
        split = try container.decode(DatasetSplit.self, forKey: .split)
        seed = try container.decode(UInt64.self, forKey: .seed)
        datasetFingerprint = try container.decode(String.self, forKey: .datasetFingerprint)
        shardCount = try container.decode(Int.self, forKey: .shardCount)
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
    public let shardOrder: ShardOrder
    /// Examples in one pass over the split (stream length − 1).
    public let examplesPerEpoch: Int

    /// The third word of the shard order's seed, after the seed and the epoch; the examples of
    /// shard s use s there, so the two streams never share a generator.
    public static let shardOrderStream = UInt64.max

    private let window: ShardWindow
    private let shardExampleCounts: [Int]
    private var epoch = 0
    /// Place of the current shard in the epoch's order.
    private var place = 0
    private var cursor = 0
    /// The shards of `epoch` in the order they are read, and the examples before each place.
    private var epochShards: [Int] = []
    private var examplesBeforePlace: [Int] = []
    /// Local example indices of the loaded shard, shuffled for (permutationEpoch, window.loadedShard).
    private var permutation: [Int32] = []
    private var permutationEpoch = -1
    private var permutationShard = -1

    /// `position`: resume from a saved `position` (it must come from a loader over the same dataset,
    /// split and seed; its shard order wins over `shardOrder`). Throws `emptySplit` for a split
    /// without examples, `badOption` for sizes < 1.
    public init(dataset: PreparedDataset, split: DatasetSplit = .train, contextLength: Int, batchSize: Int,
                seed: UInt64, shardOrder: ShardOrder = .shuffled, position: LoaderPosition? = nil) throws(DataError) {
        guard contextLength >= 1 else { throw .badOption(name: "contextLength", value: "\(contextLength)", allowed: "at least 1") }
        guard batchSize >= 1 else { throw .badOption(name: "batchSize", value: "\(batchSize)", allowed: "at least 1") }
        self.dataset = dataset
        self.split = split
        self.contextLength = contextLength
        self.batchSize = batchSize
        self.seed = seed
        self.shardOrder = position?.shardOrder ?? shardOrder
        examplesPerEpoch = dataset.exampleCount(split)
        guard examplesPerEpoch > 0 else { throw .emptySplit(dataset: dataset.directory, split: split) }
        let window = ShardWindow(dataset: dataset, split: split, contextLength: contextLength)
        self.window = window
        shardExampleCounts = window.shards.indices.map { window.exampleCount(ofShard: $0) }

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
            guard (0..<(Int.max / 2 / examplesPerEpoch)).contains(position.epoch), (0..<count).contains(position.shardIndex) else {
                throw mismatch("epoch \(position.epoch), shard \(position.shardIndex), cursor \(position.cursor) is out of range")
            }
            epoch = position.epoch
            place = position.shardIndex
            cursor = position.cursor
        }
        startEpoch(epoch)
        guard (0...shardExampleCounts[epochShards[place]]).contains(cursor) else {
            throw .loaderPositionMismatch(reason: "epoch \(epoch), shard \(place), cursor \(cursor) is out of range")
        }
        try prepareCurrentShard()
    }

    /// The position after the last batch served.
    public var position: LoaderPosition {
        LoaderPosition(epoch: epoch, shardIndex: place, cursor: cursor, shardOrder: shardOrder, split: split, seed: seed,
                       datasetFingerprint: dataset.fingerprint, shardCount: window.shards.count)
    }

    /// Examples served since the start of epoch 0.
    public var examplesSeen: Int {
        epoch * examplesPerEpoch + examplesBeforePlace[place] + cursor
    }

    /// Epochs completed, with the fraction of the current one: 2.25 = a quarter into the third epoch.
    public var epochFraction: Double {
        Double(epoch) + Double(examplesBeforePlace[place] + cursor) / Double(examplesPerEpoch)
    }

    /// Seconds `next` has waited for shards to be read (the background read had not finished), in
    /// total since the loader was made.
    public var dataWaitSeconds: Double { window.waitSeconds }

    /// The shards of `epoch`, in the order the loader reads them.
    public func shardSequence(epoch: Int) -> [Int] {
        Self.shardSequence(count: window.shards.count, order: shardOrder, seed: seed, epoch: epoch)
    }

    /// The shards of `epoch` under `order`: manifest order, or Fisher–Yates from
    /// Xoshiro256(SplitMix64.mix(seed, epoch, shardOrderStream)).
    public static func shardSequence(count: Int, order: ShardOrder, seed: UInt64, epoch: Int) -> [Int] {
        var shards = Array(0..<count)
        if order == .shuffled {
            var generator = Xoshiro256(seed: SplitMix64.mix(seed, UInt64(epoch), shardOrderStream))
            generator.shuffle(&shards)
        }
        return shards
    }

    /// Fills the next batch: `contexts[0 ..< B·T]` (row b = example b's context, oldest token first)
    /// and `targets[0 ..< B]`. The arrays must already hold at least that many elements; they are
    /// written in place, never reallocated. On error the position is that of the previous batch.
    public func next(contexts: inout [Int32], targets: inout [Int32]) throws(DataError) {
        let t = contextLength
        precondition(contexts.count >= batchSize * t && targets.count >= batchSize,
                     "BatchLoader.next needs contexts of \(batchSize * t) and targets of \(batchSize) elements")
        let saved = (epoch, place, cursor)
        var row = 0
        do {
            while row < batchSize {
                if cursor == shardExampleCounts[epochShards[place]] {
                    place += 1
                    if place == epochShards.count {
                        place = 0
                        startEpoch(epoch + 1)
                    }
                    cursor = 0
                    continue
                }
                try prepareCurrentShard()
                let take = min(batchSize - row, shardExampleCounts[epochShards[place]] - cursor)
                fill(rows: row..<(row + take), contexts: &contexts, targets: &targets)
                row += take
                cursor += take
            }
        } catch {
            if saved.0 != epoch { startEpoch(saved.0) }
            (epoch, place, cursor) = saved
            throw error
        }
    }

    private func startEpoch(_ newEpoch: Int) {
        epoch = newEpoch
        epochShards = shardSequence(epoch: newEpoch)
        var before: [Int] = []
        var sum = 0
        for shard in epochShards {
            before.append(sum)
            sum += shardExampleCounts[shard]
        }
        examplesBeforePlace = before
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

    /// Loads the current shard and its permutation, if not loaded yet, and starts reading the
    /// shard that follows it.
    private func prepareCurrentShard() throws(DataError) {
        let shard = epochShards[place]
        if window.loadedShard != shard {
            try window.load(shard)
            let following = place + 1 < epochShards.count ? epochShards[place + 1] : shardSequence(epoch: epoch + 1)[0]
            window.prefetch(following)
        }
        if permutationShard != shard || permutationEpoch != epoch {
            Self.shuffledExamples(&permutation, first: window.firstExample(ofShard: shard),
                                  count: shardExampleCounts[shard],
                                  seed: SplitMix64.mix(seed, UInt64(epoch), UInt64(shard)))
            permutationShard = shard
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
