// One shard of a split in memory, preceded by the T tokens of the stream before it, so that every
// example of the shard finds its whole context in one buffer:
//
//   tokens = [ history (T) | shard s (n_s) ]     stream position of tokens[T + i] = start(s) + i
//
// The history of shard 0 is all boundary tokens (positions before the stream). Moving from shard
// s − 1 to s takes the history from the buffer; jumping to s (a resume) reads shards s − 1, s − 2, …
// backwards until it has T tokens, usually one shard. Memory: one shard plus T tokens.

final class ShardWindow {
    let dataset: PreparedDataset
    let split: DatasetSplit
    let shards: [DatasetManifest.Shard]
    let contextLength: Int
    let boundaryToken: Int32
    /// Stream position of each shard's first token.
    let shardStarts: [Int]
    private let reader: ShardReader
    /// History (contextLength tokens) then the loaded shard's tokens.
    private(set) var tokens: [Int32] = []
    /// The shard in `tokens`, or -1.
    private(set) var loadedShard = -1

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
        reader = dataset.makeShardReader()
    }

    /// Tokens of the loaded shard (without the history).
    var shardTokenCount: Int { tokens.count - contextLength }

    /// Examples in shard `index`: its positions p ≥ 1 of the stream.
    func exampleCount(ofShard index: Int) -> Int {
        shards[index].tokens - (index == 0 ? 1 : 0)
    }

    /// First local index (in the shard) that is an example.
    func firstExample(ofShard index: Int) -> Int { index == 0 ? 1 : 0 }

    /// Makes shard `index` the loaded one. On error the window is left empty (`loadedShard == -1`).
    func load(_ index: Int) throws(DataError) {
        guard index != loadedShard else { return }
        let t = contextLength
        var history: [Int32]
        if index == 0 {
            history = [Int32](repeating: boundaryToken, count: t)
        } else if loadedShard == index - 1 {
            history = Array(tokens[(tokens.count - t)...])
        } else {
            history = []
            var previous = index - 1
            var scratch: [Int32] = []
            loadedShard = -1
            while history.count < t && previous >= 0 {
                scratch.removeAll(keepingCapacity: true)
                try reader.read(shards[previous], appendingTo: &scratch)
                history = Array(scratch.suffix(t - history.count)) + history
                previous -= 1
            }
            if history.count < t {
                history = [Int32](repeating: boundaryToken, count: t - history.count) + history
            }
        }
        loadedShard = -1
        tokens.removeAll(keepingCapacity: true)
        tokens.append(contentsOf: history)
        do {
            try reader.read(shards[index], appendingTo: &tokens)
        } catch {
            tokens.removeAll(keepingCapacity: true)
            throw error
        }
        loadedShard = index
    }
}
