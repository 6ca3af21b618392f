// `descent-bench tokenizer train|encode`: byte-level BPE training and encoding speed, for the
// side-by-side comparison with HF `tokenizers` and tiktoken that scripts/bench-tokenizer.sh runs.
//
// train: wall time from reading the corpus file to the finished tokenizer (the same span HF's
//        `Tokenizer.train([file], trainer)` covers): read, cut into ~1 MiB pieces at safe cuts
//        (as prepare's reader does), count pre-tokens on --threads threads, merge.
// encode: MB/s of UTF-8 input over the whole corpus, in the same ~1 MiB pieces, on 1 thread or
//        on --threads threads (each takes every n-th piece; per-thread caches), after a check that
//        decoding gives the corpus back and an untimed pass on the same threads (warm caches).
// Each prints one `RESULT {json}` line with the median, min and max of --repeat runs.

import ArgumentParser
import Core
import Data
import Dispatch
import Foundation
import Tokenizers

struct TokenizerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Time byte-level BPE training and encoding.",
        subcommands: [TokenizerTrainBenchmark.self, TokenizerEncodeBenchmark.self])
}

extension SplitPattern: ExpressibleByArgument {}

/// The corpus as pieces of about `pieceBytes`, cut at safe cuts (or at the end).
func corpusPieces(_ bytes: [UInt8], pieceBytes: Int = 1 << 20) -> [Range<Int>] {
    bytes.withUnsafeBufferPointer { text in
        var pieces: [Range<Int>] = []
        var start = 0
        while start < text.count {
            let target = start + pieceBytes
            let end = target >= text.count ? text.count : (SafeCut.first(in: text, candidates: target..<text.count) ?? text.count)
            pieces.append(start..<end)
            start = end
        }
        return pieces
    }
}

func readCorpus(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read \(path); build the 50 MB corpus with ../shared/bench/tokenizer_bench.py corpus")
    }
    return [UInt8](data)
}

func medianMinMax(_ values: [Double]) -> [String: Double] {
    let sorted = values.sorted()
    return ["median": sorted[sorted.count / 2], "min": sorted.first!, "max": sorted.last!]
}

struct TokenizerTrainBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Time BPE training on a corpus file.")

    @Option(help: "The corpus, one UTF-8 text file.") var corpus: String
    @Option(name: .customLong("vocab-size"), help: "Vocabulary size.") var vocabularySize = 4096
    @Option(help: "gpt2 or gpt4.") var pattern: SplitPattern = .gpt2
    @Option(help: "Counting threads.") var threads = 2
    @Option(name: .customLong("repeat"), help: "Timed runs.") var repeats = 3

    func run() throws {
        var seconds: [Double] = []
        var merges = 0
        for _ in 0..<repeats {
            let started = MonotonicClock.seconds()
            let bytes = try readCorpus(corpus)
            var trainer = BytePairTrainer(options: BytePairOptions(vocabularySize: vocabularySize, pattern: pattern, threads: threads))
            bytes.withUnsafeBufferPointer { text in
                for piece in corpusPieces(bytes) { trainer.observe(utf8: UnsafeBufferPointer(rebasing: text[piece])) }
            }
            let tokenizer = try trainer.train()
            seconds.append(MonotonicClock.seconds() - started)
            merges = tokenizer.merges.count
        }
        let result: [String: Any] = ["bench": "tokenizer-train", "corpus": corpus, "vocab": vocabularySize, "merges": merges,
                                     "threads": threads, "pattern": pattern.rawValue, "seconds": medianMinMax(seconds)]
        print("RESULT " + String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    }
}

struct TokenizerEncodeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "encode", abstract: "Time BPE encoding of a corpus file.")

    @Option(help: "A prepared dataset (or tokenizer.json) with a BPE tokenizer.") var tokenizer: String
    @Option(help: "The corpus, one UTF-8 text file.") var corpus: String
    @Option(help: "Encoding threads.") var threads = 1
    @Option(name: .customLong("repeat"), help: "Timed runs.") var repeats = 3

    /// What the encoding threads share; each writes only its own count.
    struct Job: @unchecked Sendable {
        let text: UnsafeBufferPointer<UInt8>
        let pieces: [Range<Int>]
        let counts: UnsafeMutableBufferPointer<Int>
    }

    func run() throws {
        let loaded: any Tokenizer
        do { loaded = try TokenizerFile.load(datasetOrFile: tokenizer) } catch { throw ValidationError("\(error)") }
        guard let bpe = loaded as? BytePairTokenizer else { throw ValidationError("\(tokenizer) is not a BPE tokenizer") }
        let bytes = try readCorpus(corpus)
        let pieces = corpusPieces(bytes)
        var tokenTotal = 0
        try bytes.withUnsafeBufferPointer { text in
            // Validate: the tokens of every piece decode to the piece.
            var tokens: [Int32] = []
            for piece in pieces {
                tokens.removeAll(keepingCapacity: true)
                try bpe.encode(utf8: UnsafeBufferPointer(rebasing: text[piece]), appendingTo: &tokens)
                guard bpe.decodeBytes(tokens).elementsEqual(text[piece]) else { throw ValidationError("decode(encode) differs") }
                tokenTotal += tokens.count
            }
        }
        var seconds: [Double] = []
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        defer { counts.deallocate() }
        // One untimed pass first, on the same threads, so that every thread's piece cache is warm.
        for run in -1..<repeats {
            counts.initialize(repeating: 0)
            let started = MonotonicClock.seconds()
            bytes.withUnsafeBufferPointer { text in
                let job = Job(text: text, pieces: pieces, counts: counts)
                let threads = self.threads
                let work: @Sendable (Int) -> Void = { thread in
                    var tokens: [Int32] = []
                    tokens.reserveCapacity(1 << 20)
                    for index in stride(from: thread, to: job.pieces.count, by: threads) {
                        tokens.removeAll(keepingCapacity: true)
                        try? bpe.encode(utf8: UnsafeBufferPointer(rebasing: job.text[job.pieces[index]]), appendingTo: &tokens)
                        job.counts[thread] += tokens.count
                    }
                }
                if threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: work) }
            }
            if run >= 0 { seconds.append(MonotonicClock.seconds() - started) }
            guard counts.reduce(0, +) == tokenTotal else { throw ValidationError("token count changed between runs") }
        }
        let megabytes = Double(bytes.count) / 1e6
        let result: [String: Any] = ["bench": "tokenizer-encode", "corpus": corpus, "bytes": bytes.count, "tokens": tokenTotal,
                                     "vocab": bpe.vocabularySize, "pattern": bpe.pattern.rawValue, "threads": threads,
                                     "seconds": medianMinMax(seconds), "mb_per_s": megabytes / seconds.sorted()[seconds.count / 2]]
        print("RESULT " + String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    }
}
