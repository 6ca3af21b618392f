// One shard of a split in memory, preceded by the T tokens of the stream before it, so that every
// example of the shard finds its whole context in one buffer:
//
//   tokens = [ history (T) | shard s (n_s) ]     stream position of tokens[T + i] = start(s) + i
//
// The history of shard 0 is all boundary tokens (positions before the stream). Shards are read,
// decompressed and verified by a `ShardPrefetcher` on a background thread: the caller names the
// shard it will need next, and `load` then usually finds it ready. At most two shards' tokens are
// in memory: the loaded one and the one being prefetched.
//
// A shard's history is the tail of the shard before it in the stream, whatever order shards are
// visited in. The prefetcher remembers every tail it has seen (T tokens a shard), so the shard
// before is read for its tail only the first time a shard is visited out of stream order.

final class ShardWindow {
    let dataset: PreparedDataset
    let split: DatasetSplit
    let shards: [DatasetManifest.Shard]
    let contextLength: Int
    let boundaryToken: Int32
    /// Stream position of each shard's first token.
    let shardStarts: [Int]
    private let prefetcher: ShardPrefetcher
    /// History (contextLength tokens) then the loaded shard's tokens.
    private(set) var tokens: [Int32] = []
    /// The shard in `tokens`, or -1.
    private(set) var loadedShard = -1
    /// Seconds `load` has waited for shards to be read, in total.
    private(set) var waitSeconds = 0.0

    init(dataset: PreparedDataset, split: DatasetSplit, contextLength: Int) {
        self.dataset = dataset
        self.split = split
        shards = dataset.shards(split)
        self.contextLength = contextLength
        boundaryToken = dataset.tokenizer.boundaryToken
        var starts: [Int] = []
        var position = 0
        for shard in shards {
            starts.append(position)
            position += shard.tokens
        }
        shardStarts = starts
        prefetcher = ShardPrefetcher(loader: ShardHistoryLoader(reader: dataset.makeShardReader(), shards: shards,
                                                                contextLength: contextLength, boundaryToken: boundaryToken))
    }

    /// Tokens of the loaded shard (without the history).
    var shardTokenCount: Int { tokens.count - contextLength }

    /// Examples in shard `index`: its positions p ≥ 1 of the stream.
    func exampleCount(ofShard index: Int) -> Int {
        shards[index].tokens - (index == 0 ? 1 : 0)
    }

    /// First local index (in the shard) that is an example.
    func firstExample(ofShard index: Int) -> Int { index == 0 ? 1 : 0 }

    /// Makes shard `index` the loaded one, waiting for the prefetcher if it is still reading it.
    /// On error the window is left empty (`loadedShard == -1`); the error names the shard's file.
    func load(_ index: Int) throws(DataError) {
        guard index != loadedShard else { return }
        loadedShard = -1
        // Released before the next shard arrives, so that two shards at most are in memory.
        tokens = []
        let (buffer, waited) = try prefetcher.take(index)
        waitSeconds += waited
        tokens = buffer
        loadedShard = index
    }

    /// Starts reading shard `index` in the background, for a `load` to come.
    func prefetch(_ index: Int) {
        guard index != loadedShard else { return }
        prefetcher.prefetch(index)
    }
}

/// Reads shards with their history (the T stream tokens before each), remembering each tail it
/// has seen. Used by one thread at a time: the prefetcher's worker.
final class ShardHistoryLoader {
    let reader: ShardReader
    let shards: [DatasetManifest.Shard]
    let contextLength: Int
    let boundaryToken: Int32
    /// `histories[s]`: the T stream tokens before shard s, once known.
    private var histories: [Int: [Int32]] = [:]

    init(reader: ShardReader, shards: [DatasetManifest.Shard], contextLength: Int, boundaryToken: Int32) {
        self.reader = reader
        self.shards = shards
        self.contextLength = contextLength
        self.boundaryToken = boundaryToken
    }

    /// [history | tokens] of shard `index`, verified.
    func load(_ index: Int) throws(DataError) -> [Int32] {
        let t = contextLength
        var buffer: [Int32] = []
        let history = try self.history(of: index, scratch: &buffer)
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(t + shards[index].tokens)
        buffer.append(contentsOf: history)
        try reader.read(shards[index], appendingTo: &buffer)
        if index + 1 < shards.count { histories[index + 1] = Array(buffer.suffix(t)) }
        return buffer
    }

    /// The T tokens before shard `index`: boundaries before the stream, a remembered tail, or the
    /// tails of the shards before it, read into `scratch` (the buffer the shard goes into next, so
    /// that no third shard is ever in memory).
    private func history(of index: Int, scratch: inout [Int32]) throws(DataError) -> [Int32] {
        let t = contextLength
        if index == 0 { return [Int32](repeating: boundaryToken, count: t) }
        if let known = histories[index] { return known }
        var history: [Int32] = []
        var previous = index - 1
        while history.count < t && previous >= 0 {
            scratch.removeAll(keepingCapacity: true)
            try reader.read(shards[previous], appendingTo: &scratch)
            history = Array(scratch.suffix(t - history.count)) + history
            previous -= 1
        }
        if history.count < t { history = [Int32](repeating: boundaryToken, count: t - history.count) + history }
        histories[index] = history
        return history
    }
}
