// `descent tokenizer`: look inside a dataset's tokenizer (`show`) and write a BPE in tiktoken's or
// Hugging Face's format (`export`), so that other tools can load the same vocabulary.

import ArgumentParser
import Data
import Foundation
import Tokenizers

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Show a dataset's tokenizer, or export a BPE for tiktoken or Hugging Face.",
        discussion: """
            Examples:
              descent tokenizer show data/shakespeare-bpe --text "To be, or not to be"
              descent tokenizer export data/shakespeare-bpe --format tiktoken -o shakes.tiktoken
              descent tokenizer export data/shakespeare-bpe --format hf -o tokenizer.json
            """,
        subcommands: [TokenizerShowCommand.self, TokenizerExportCommand.self]
    )
}

/// Loads DIR's tokenizer (or a tokenizer file given directly).
private func loadTokenizer(_ path: String) throws -> any Tokenizer {
    try attempt { try TokenizerFile.load(datasetOrFile: path) }
}

struct TokenizerShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a tokenizer's kind and size, and how it encodes a text.",
        discussion: HelpText.paragraphs("""
            With --text, prints each token of the text: its id and its bytes as text (a token \
            that ends inside a UTF-8 character shows its bytes in hex). Without, prints the last \
            merges learnt.
            """)
            + "\n\n" + """
            Examples:
              descent tokenizer show data/shakespeare-bpe --text "To be, or not to be"
              descent tokenizer show data/names
            """
    )

    @Argument(help: ArgumentHelp("A prepared dataset directory, or a tokenizer.json.", valueName: "dir"))
    var directory: String

    @Option(name: .long, help: ArgumentHelp("Text to encode.", valueName: "text"))
    var text: String?

    func run() throws {
        let tokenizer = try loadTokenizer(directory)
        print("\(directory): \(tokenizer.typeName), \(tokenizer.vocabularySize) tokens (\(PrepareCommand.vocabularyParts(tokenizer)))")
        guard let text else {
            if let bpe = tokenizer as? BytePairTokenizer, !bpe.merges.isEmpty {
                print("last merges:")
                for token in max(256, bpe.mergeableCount - 10)..<bpe.mergeableCount {
                    let merge = bpe.merges[token - 256]
                    print("  \(token) = \(merge.left) + \(merge.right)  \(Self.shown(bpe.bytes(of: Int32(token))))")
                }
            }
            return
        }
        let tokens = try attempt { try tokenizer.encode(text) }
        print("\(text.unicodeScalars.count) characters, \(text.utf8.count) bytes → \(tokens.count) tokens")
        print(tokens.map(String.init).joined(separator: " "))
        for token in tokens {
            print("  \(String(token).padding(toLength: 7, withPad: " ", startingAt: 0)) \(Self.shown(tokenizer.decodeBytes([token])))")
        }
    }

    /// A token's bytes as a quoted, escaped string, or hex when they are not whole characters.
    static func shown(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) {
            return "\"" + text.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
        }
        return "<" + bytes.map { String($0, radix: 16, uppercase: true).leftPadded(2) }.joined(separator: " ") + ">"
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

struct TokenizerExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a BPE tokenizer as a tiktoken rank file or a Hugging Face tokenizer.json.",
        discussion: HelpText.paragraphs(
            """
            tiktoken: one line per token, base64 of its bytes and its rank (= Descent's id); load \
            it with tiktoken.load.load_tiktoken_bpe and pass the pattern that `descent tokenizer \
            show` names (tiktoken's cl100k or r50k pat_str) and {"<|endoftext|>": id} as special \
            tokens. hf: a tokenizer.json that tokenizers.Tokenizer.from_file loads; set \
            encode_special_tokens = True for "<|endoftext|>" in text to be encoded as text, as \
            Descent does.
            """,
            "scripts/check-bpe-vs-tiktoken.sh checks both token for token.")
            + "\n\n" + """
            Examples:
              descent tokenizer export data/shakespeare-bpe --format tiktoken -o shakes.tiktoken
              descent tokenizer export data/shakespeare-bpe --format hf -o tokenizer.json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case tiktoken, hf
    }

    @Argument(help: ArgumentHelp("A prepared dataset directory with a BPE tokenizer, or its tokenizer.json.", valueName: "dir"))
    var directory: String

    @Option(name: .long, help: ArgumentHelp("'tiktoken' (rank file) or 'hf' (tokenizer.json).", valueName: "format"))
    var format: Format

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The file to write.", valueName: "file"))
    var output: String

    func run() throws {
        let tokenizer = try loadTokenizer(directory)
        guard let bpe = tokenizer as? BytePairTokenizer else {
            throw CommandFailure(message: "\(directory) has a \(tokenizer.typeName) tokenizer; only BPE tokenizers export. "
                                 + "Prepare the dataset with --tokenizer bpe.", code: 1)
        }
        let data: Data
        switch format {
        case .tiktoken: data = Data(bpe.tiktokenRanks().utf8)
        case .hf: data = try attempt { try bpe.huggingFaceJSON() }
        }
        do {
            try data.write(to: URL(fileURLWithPath: output))
        } catch {
            throw CommandFailure(message: "\(output): cannot write (\(error.localizedDescription)). Check that its directory exists.", code: 1)
        }
        print("Wrote \(output): \(format.rawValue), \(bpe.mergeableCount) mergeable tokens and \(BytePairTokenizer.endOfText) as id \(bpe.boundaryToken), "
              + "\(bpe.pattern.rawValue) pattern")
    }
}
