// `descent export-data`: a prepared dataset's shards as llm.c's uncompressed token files.

import ArgumentParser
import Core
import Data
import Foundation

/// The layouts `export-data` writes.
enum DataExportFormat: String, CaseIterable, ExpressibleByArgument {
    case llmc
}

struct ExportDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-data",
        abstract: "Write a prepared dataset's shards as llm.c token files.",
        discussion: HelpText.paragraphs(
            """
            Each shard DIR/SPLIT_NNNNNN.bin.gz is checked as training checks it (its SHA-256 \
            against the manifest, its header, length and every token) and written uncompressed \
            as OUT/SPLIT_NNNNNN.bin, the layout of llm.c's dataloader.h: a header of 256 \
            little-endian int32 (magic 20240520, version 1, token count) and the tokens as \
            uint16, or magic 20240801, version 7 and uint32 tokens for vocabularies over 65,535 \
            (a layout llm.c's dataloader.h does not read). \
            OUT/listing.json lists the files with their splits, token counts, sizes and SHA-256, \
            and OUT/tokenizer.json is the dataset's tokenizer.
            """,
            """
            Without checks, `gunzip -k DIR/*.bin.gz` gives the same bytes.
            """)
            + "\n\n" + """
            Example:
              descent export-data data/shakespeare --format llmc -o shards/shakespeare
            """
    )

    @Argument(help: ArgumentHelp("The prepared dataset directory.", valueName: "dir"))
    var directory: String

    @Option(name: .long, help: ArgumentHelp("The layout (only 'llmc').", valueName: "format"))
    var format: DataExportFormat = .llmc

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The directory to write (created; must be empty or absent).", valueName: "dir"))
    var output: String

    @Flag(name: .long, help: "Write into OUT even if it holds files (the files of the same names are replaced).")
    var overwrite = false

    static let listingFileName = "listing.json"

    struct Listing: Encodable {
        struct File: Encodable {
            let file: String
            let split: String
            let tokens: Int
            let bytes: Int
            let sha256: String
        }
        let format: String
        let source: String
        let magic: Int32
        let version: Int32
        let tokenBytes: Int
        let vocabularySize: Int
        let boundaryToken: Int32
        let tokenizer: String
        let files: [File]
    }

    func validate() throws {
        if output.isEmpty { throw ValidationError("-o needs a directory, e.g. -o shards/names.") }
    }

    func run() throws {
        let dataset = try attempt { try PreparedDataset(directory: directory) }
        try prepareOutput()
        let (magic, version) = dataset.llmcHeader
        var files: [Listing.File] = []
        for shard in dataset.manifest.shards {
            let bytes = try attempt { try dataset.uncompressedShard(shard) }
            let name = shard.file.hasSuffix(".gz") ? String(shard.file.dropLast(3)) : shard.file + ".bin"
            try OutputFile.write(bytes, to: output + "/" + name)
            files.append(Listing.File(file: name, split: shard.split.rawValue, tokens: shard.tokens, bytes: bytes.count,
                                      sha256: SHA256.hexDigest(of: bytes)))
        }
        let tokenizer = try attempt { try dataset.tokenizer.jsonData() }
        try OutputFile.write([UInt8](tokenizer), to: output + "/tokenizer.json")
        let listing = Listing(format: format.rawValue, source: directory, magic: magic, version: version,
                              tokenBytes: dataset.manifest.tokenBytes, vocabularySize: dataset.manifest.vocabularySize,
                              boundaryToken: dataset.manifest.boundaryToken, tokenizer: "tokenizer.json", files: files)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var json = [UInt8](try encoder.encode(listing))
        json.append(0x0A)
        try OutputFile.write(json, to: output + "/" + Self.listingFileName)
        let tokens = files.reduce(0) { $0 + $1.tokens }
        print("wrote \(files.count) llm.c shard file(s), \(tokens) tokens (\(dataset.manifest.tokenBytes * 8)-bit, magic \(magic), version \(version)) to \(output), listed in \(output)/\(Self.listingFileName)")
    }

    /// OUT must be absent or an empty directory, unless --overwrite.
    private func prepareOutput() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CommandFailure(message: "\(output) is a file; give a directory for -o.", code: 1) }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
            if !contents.isEmpty && !overwrite {
                throw CommandFailure(message: "\(output) already holds files (\(contents.count)). Pass --overwrite to write into it, or choose another -o.", code: 1)
            }
            return
        }
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            throw CommandFailure(message: "cannot create \(output): \(error.localizedDescription)", code: 1)
        }
    }
}
