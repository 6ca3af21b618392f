// Phase (d) of `descent prepare` (and how `DatasetWriter` writes): spooled split streams cut into
// shards of given sizes, each a gzip file of llm.c's layout (ShardFormat), hashed as it is written.
// Each shard is a function of its spool range alone, so the shards are compressed in parallel, one
// job per shard, and come out the same bytes for any thread count. Memory per thread: a 256 KiB
// chunk, zlib's state and its 256 KiB output buffer. Not handled: choosing the sizes
// (ShardFormat.shardSizes).

enum ShardWriter {
    /// Tokens handed to the compressor per call. Every shard so far has been written in chunks of
    /// this size after its header, so keeping it keeps the gzip bytes, and every dataset's
    /// checksums, as they were.
    static let chunkTokens = 1 << 16

    /// The shards of one split: `sizes[i]` tokens of `spool` in shard i, in order. `sizes` must
    /// add up to the spool's (flushed) token count.
    struct Split {
        let split: DatasetSplit
        let spool: TokenSpool
        let sizes: [Int]
    }

    private struct Job: Sendable {
        let split: DatasetSplit
        let spool: TokenSpool
        let index: Int
        let start: Int
        let size: Int
    }

    /// Writes the shards of every split in `splits` into `directory` on `threads` threads; returns
    /// them in order (split by split, shard by shard), compressed at zlib's `compressionLevel`.
    /// `progress(split, index)` runs on the calling thread as each shard is finished.
    static func write(_ splits: [Split], directory: String, threads: Int = 1,
                      compressionLevel: Int = ShardFormat.defaultCompressionLevel,
                      progress: ((DatasetSplit, _ shardIndex: Int) -> Void)? = nil) throws(DataError) -> [DatasetManifest.Shard] {
        var jobs: [Job] = []
        for split in splits {
            precondition(split.sizes.reduce(0, +) == split.spool.count, "shard sizes must cover the spool exactly")
            var start = 0
            for (index, size) in split.sizes.enumerated() {
                jobs.append(Job(split: split.split, spool: split.spool, index: index, start: start, size: size))
                start += size
            }
        }
        let work = jobs
        return try ParallelJobs.map(count: work.count, threads: threads, job: { (index) throws(DataError) in
            try writeShard(work[index], directory: directory, level: Int32(compressionLevel))
        }, finished: { index in progress?(work[index].split, work[index].index) })
    }

    private static func writeShard(_ job: Job, directory: String, level: Int32) throws(DataError) -> DatasetManifest.Shard {
        let tokenBytes = job.spool.tokenBytes
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkTokens * tokenBytes, alignment: 16)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: TokenSpool.readScratchBytes, alignment: 16)
        defer {
            chunk.deallocate()
            scratch.deallocate()
        }
        let file = ShardFormat.fileName(split: job.split, index: job.index)
        let gzip = try GzipWriter(path: directory + "/" + file, level: level)
        try ShardFormat.header(tokenCount: job.size, tokenBytes: tokenBytes).withBytes { (header) throws(DataError) in
            try gzip.write(header)
        }
        var done = 0
        while done < job.size {
            let count = min(chunkTokens, job.size - done)
            let bytes = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<(count * tokenBytes)])
            try job.spool.read(tokens: (job.start + done)..<(job.start + done + count), into: bytes, scratch: scratch)
            try gzip.write(UnsafeRawBufferPointer(bytes))
            done += count
        }
        let (bytes, sha256) = try gzip.finish()
        return DatasetManifest.Shard(file: file, split: job.split, tokens: job.size, bytes: bytes, sha256: sha256)
    }
}
