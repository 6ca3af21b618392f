// A dataset's shards as llm.c reads them: what `gunzip` gives for each `.bin.gz`, produced after
// the same checks as training's reads (the manifest's SHA-256, then the header, the count, the
// length and every token's range).
//
// Deliberately not handled: writing files (the CLI's `export-data` does), and llm.c's other
// layouts (its GPT-2 tokenizer files, evaluation files).

import Core

extension PreparedDataset {
    /// The magic number and version of this dataset's shard headers (llm.c's dataloader.h
    /// checks both): 20240520 / 1 for uint16 tokens, 20240801 / 7 for uint32.
    public var llmcHeader: (magic: Int32, version: Int32) {
        manifest.tokenBytes == 2 ? (ShardFormat.magic16, ShardFormat.version16) : (ShardFormat.magic32, ShardFormat.version32)
    }

    /// The uncompressed bytes of `shard`: the 1,024-byte header, then its tokens little-endian.
    public func uncompressedShard(_ shard: DatasetManifest.Shard) throws(DataError) -> [UInt8] {
        let tokens = try readShard(shard)
        let tokenBytes = manifest.tokenBytes
        var writer = BinaryWriter(reservingCapacity: ShardFormat.headerBytes + tokens.count * tokenBytes)
        let header = ShardFormat.header(tokenCount: tokens.count, tokenBytes: tokenBytes)
        header.withUnsafeBytes { writer.write(bytes: $0) }
        if tokenBytes == 2 {
            let narrow = tokens.map { UInt16(truncatingIfNeeded: $0).littleEndian }
            narrow.withUnsafeBytes { writer.write(bytes: $0) }
        } else {
            let wide = tokens.map { UInt32(bitPattern: $0).littleEndian }
            wide.withUnsafeBytes { writer.write(bytes: $0) }
        }
        return writer.bytes
    }
}
