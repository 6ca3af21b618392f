// Phase (d) of `descent prepare` (and how `DatasetWriter` writes): a spooled split stream cut into
// shards of given sizes, each a gzip file of llm.c's layout (ShardFormat), hashed as it is written.
// A function of the spool and the sizes alone, shard by shard, so the shards could be compressed
// in parallel and come out the same bytes. Not handled: choosing the sizes (ShardFormat.shardSizes).

enum ShardWriter {
    /// Tokens handed to the compressor per call. Every shard so far has been written in chunks of
    /// this size after its header, so keeping it keeps the gzip bytes, and every dataset's
    /// checksums, as they were.
    static let chunkTokens = 1 << 16

    /// Writes `spool`'s tokens as the shards of `split` into `directory`: shard i holds the next
    /// `sizes[i]` tokens; `sizes` must add up to the spool's (flushed) token count. `progress` gets
    /// each shard's index once it is written.
    static func write(_ spool: TokenSpool, sizes: [Int], split: DatasetSplit, directory: String,
                      progress: ((_ shardIndex: Int) -> Void)? = nil) throws(DataError) -> [DatasetManifest.Shard] {
        precondition(sizes.reduce(0, +) == spool.count, "shard sizes must cover the spool exactly")
        let tokenBytes = spool.tokenBytes
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkTokens * tokenBytes, alignment: 16)
        defer { chunk.deallocate() }
        var shards: [DatasetManifest.Shard] = []
        var start = 0
        for (index, size) in sizes.enumerated() {
            let file = ShardFormat.fileName(split: split, index: index)
            let gzip = try GzipWriter(path: directory + "/" + file, level: ShardFormat.compressionLevel)
            try ShardFormat.header(tokenCount: size, tokenBytes: tokenBytes).withBytes { (header) throws(DataError) in
                try gzip.write(header)
            }
            var done = 0
            while done < size {
                let count = min(chunkTokens, size - done)
                let bytes = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<(count * tokenBytes)])
                try spool.read(tokens: (start + done)..<(start + done + count), into: bytes)
                try gzip.write(UnsafeRawBufferPointer(bytes))
                done += count
            }
            let (bytes, sha256) = try gzip.finish()
            shards.append(DatasetManifest.Shard(file: file, split: split, tokens: size, bytes: bytes, sha256: sha256))
            start += size
            progress?(index)
        }
        return shards
    }
}
