// A fixed set of examples for validation loss: all of a split's examples, or S = maxBatches ·
// batchSize of them spread evenly over the split, at example indices floor((i + 0.5) · N / S) for
// i in 0..<S (N examples; example j is stream position j + 1). The set depends only on the dataset
// and these sizes, never on training state, so every evaluation of a run (and of a resumed run)
// scores the same examples. Reading is one pass over the split's shards, one shard in memory.

/// A deterministic set of examples of one split, served in batches.
public final class EvaluationSet {
    public let dataset: PreparedDataset
    public let split: DatasetSplit
    /// T: tokens of context per example.
    public let contextLength: Int
    /// B: examples per full batch.
    public let batchSize: Int
    /// Examples in the set.
    public let exampleCount: Int
    /// Whether the set is every example of the split (in stream order).
    public let isExhaustive: Bool
    /// Examples of the split (N).
    public let splitExampleCount: Int

    /// `maxBatches == 0`, or `maxBatches · batchSize ≥` the split's examples, selects them all.
    public init(dataset: PreparedDataset, split: DatasetSplit = .val, contextLength: Int, batchSize: Int,
                maxBatches: Int) throws(DataError) {
        guard contextLength >= 1 else { throw .badOption(name: "contextLength", value: "\(contextLength)", allowed: "at least 1") }
        guard batchSize >= 1 else { throw .badOption(name: "batchSize", value: "\(batchSize)", allowed: "at least 1") }
        guard maxBatches >= 0 else { throw .badOption(name: "maxBatches", value: "\(maxBatches)", allowed: "at least 0 (0 = all)") }
        self.dataset = dataset
        self.split = split
        self.contextLength = contextLength
        self.batchSize = batchSize
        splitExampleCount = dataset.exampleCount(split)
        guard splitExampleCount > 0 else { throw .emptySplit(dataset: dataset.directory, split: split) }
        let (wanted, overflow) = maxBatches.multipliedReportingOverflow(by: batchSize)
        isExhaustive = maxBatches == 0 || overflow || wanted >= splitExampleCount
        exampleCount = isExhaustive ? splitExampleCount : wanted
    }

    /// Batches in the set; the last may be partial.
    public var batchCount: Int { (exampleCount + batchSize - 1) / batchSize }

    /// Stream position of example `i` of the set (increasing in `i`).
    public func position(ofExample i: Int) -> Int {
        if isExhaustive { return i + 1 }
        // floor((2i + 1) · N / (2S)) in 128-bit arithmetic: exact, no overflow.
        let numerator = UInt64(2 * i + 1).multipliedFullWidth(by: UInt64(splitExampleCount))
        let (quotient, _) = UInt64(2 * exampleCount).dividingFullWidth(numerator)
        return Int(quotient) + 1
    }

    /// Calls `body` once per batch, in order: `contexts` is (B, T) row-major, `targets` (B), and
    /// `count` the valid rows (B except maybe for the last batch, whose unused rows hold boundary
    /// tokens). The arrays are reused between calls; copy them to keep them.
    public func forEachBatch(_ body: (_ contexts: [Int32], _ targets: [Int32], _ count: Int) throws -> Void) throws {
        let t = contextLength
        let window = ShardWindow(dataset: dataset, split: split, contextLength: t)
        let boundary = window.boundaryToken
        var contexts = [Int32](repeating: boundary, count: batchSize * t)
        var targets = [Int32](repeating: boundary, count: batchSize)
        var row = 0
        var shard = 0
        for i in 0..<exampleCount {
            let p = position(ofExample: i)
            while shard + 1 < window.shards.count && window.shardStarts[shard + 1] <= p { shard += 1 }
            if window.loadedShard != shard { try window.load(shard) }
            let local = p - window.shardStarts[shard]
            window.tokens.withUnsafeBufferPointer { tokens in
                contexts.withUnsafeMutableBufferPointer { contexts in
                    ContextWindow.copy(contexts.baseAddress! + row * t, from: tokens.baseAddress! + local,
                                       contextLength: t, boundaryToken: boundary)
                }
                targets[row] = tokens[t + local]
            }
            row += 1
            if row == batchSize {
                try body(contexts, targets, row)
                row = 0
            }
        }
        if row > 0 {
            for r in row..<batchSize {
                targets[r] = boundary
                for k in 0..<t { contexts[r * t + k] = boundary }
            }
            try body(contexts, targets, row)
        }
    }
}
