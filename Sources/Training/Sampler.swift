// Text generation from a model: temperature, top-k and top-p (nucleus) sampling, seeded.
//
// Each sample draws from its own generator, seeded from (seed, sample index), so sample i is the
// same whether 1 or 10 samples are asked for. Generation stops at the boundary token (the end of
// a document) or after `maxTokens`. All samples advance together, one batch of rows per token
// (`NextTokenPredictor`, whose rows do not depend on each other).

import Core
import Data
import Foundation
import Kernels
import Models
import Tokenizers

public struct SamplingOptions: Sendable, Equatable {
    /// Most tokens to generate per sample (the prompt not counted).
    public var maxTokens: Int = 500
    /// Divides the logits: < 1 sharpens, > 1 flattens; 0 means greedy (always the most likely).
    public var temperature: Double = 1.0
    /// Keep only the k most likely tokens; 0 keeps all.
    public var topK: Int = 0
    /// Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all.
    public var topP: Double = 1.0
    public var seed: UInt64 = 0
    public var sampleCount: Int = 1

    public init() {}
}

public enum SamplingError: Error, CustomStringConvertible, Equatable {
    case badOption(name: String, value: String, allowed: String)
    case prompt(TokenizerError)

    public var description: String {
        switch self {
        case let .badOption(name, value, allowed): return "\(name) \(value): must be \(allowed)."
        case .prompt(let error): return "the prompt cannot be encoded: \(error.description)"
        }
    }
}

public struct GeneratedSample: Sendable, Equatable {
    /// The generated tokens, without the prompt and without the final boundary token.
    public let tokens: [Int32]
    /// Whether generation ended at a document boundary (rather than at maxTokens).
    public let reachedBoundary: Bool

    /// The text of the tokens, complete characters only: a byte-level tokenizer's sample that
    /// stops at `maxTokens` may end inside a UTF-8 character, whose bytes are left out rather than
    /// shown as a replacement character.
    public func text(_ tokenizer: any Tokenizer) -> String {
        let bytes = tokenizer.decodeBytes(tokens)
        return String(decoding: bytes[..<CompleteUTF8.prefixLength(bytes)], as: UTF8.self)
    }
}

public enum Sampler {
    public static func validate(_ options: SamplingOptions) throws(SamplingError) {
        if !(options.temperature >= 0 && options.temperature <= 100) {
            throw .badOption(name: "--temperature", value: "\(options.temperature)", allowed: "a number in 0...100 (0 = greedy)")
        }
        if options.topK < 0 { throw .badOption(name: "--top-k", value: "\(options.topK)", allowed: "an integer ≥ 0 (0 = off)") }
        if !(options.topP > 0 && options.topP <= 1) {
            throw .badOption(name: "--top-p", value: "\(options.topP)", allowed: "a number in (0, 1] (1 = off)")
        }
        if options.maxTokens < 1 || options.maxTokens > 1_000_000 {
            throw .badOption(name: "--max-tokens", value: "\(options.maxTokens)", allowed: "an integer in 1...1000000")
        }
        if options.sampleCount < 1 || options.sampleCount > 10_000 {
            throw .badOption(name: "--num-samples", value: "\(options.sampleCount)", allowed: "an integer in 1...10000")
        }
    }

    /// Generates `options.sampleCount` continuations of `prompt`.
    public static func generate(model: any LanguageModel, tokenizer: any Tokenizer, prompt: String,
                                options: SamplingOptions) throws(SamplingError) -> [GeneratedSample] {
        try validate(options)
        let promptTokens: [Int32]
        do { promptTokens = try tokenizer.encode(prompt) } catch { throw .prompt(error) }
        let contextLength = model.architecture.contextLength
        let boundary = tokenizer.boundaryToken
        let count = options.sampleCount
        // Each sample's history starts as a document start: boundary, then the prompt.
        var histories = [[Int32]](repeating: [boundary] + promptTokens, count: count)
        var generated = [[Int32]](repeating: [], count: count)
        var finished = [Bool](repeating: false, count: count)
        var generators = (0..<count).map { Xoshiro256(seed: SplitMix64.mix(options.seed, UInt64($0))) }
        var contexts = [Int32](repeating: boundary, count: count * contextLength)
        var probabilities = [Double](repeating: 0, count: tokenizer.vocabularySize)
        let predictor = NextTokenPredictor(model: model, rowsToGenerate: options.maxTokens * count)

        for _ in 0..<options.maxTokens {
            if finished.allSatisfy({ $0 }) { break }
            for sample in 0..<count {
                // The same windows the loader builds for training: cut at the last boundary, left-padded.
                ContextWindow.fill(&contexts, at: sample * contextLength, stream: histories[sample],
                                   position: histories[sample].count, contextLength: contextLength, boundaryToken: boundary)
            }
            let logits = predictor.logits(contexts: contexts, count: count)
            for sample in 0..<count where !finished[sample] {
                let token = draw(logits: logits, row: sample, options: options, probabilities: &probabilities,
                                 generator: &generators[sample])
                if token == boundary {
                    finished[sample] = true
                } else {
                    generated[sample].append(token)
                    histories[sample].append(token)
                }
            }
        }
        return (0..<count).map { GeneratedSample(tokens: generated[$0], reachedBoundary: finished[$0]) }
    }

    /// Picks the next token of one row of logits.
    static func draw(logits: Matrix, row: Int, options: SamplingOptions, probabilities: inout [Double],
                     generator: inout Xoshiro256) -> Int32 {
        let vocabulary = logits.columns
        if options.temperature == 0 {
            var best = 0
            for v in 1..<vocabulary where logits[row, v] > logits[row, best] { best = v }
            return Int32(best)
        }
        var maximum = -Double.infinity
        for v in 0..<vocabulary { maximum = max(maximum, Double(logits[row, v])) }
        var total = 0.0
        for v in 0..<vocabulary {
            let p = exp((Double(logits[row, v]) - maximum) / options.temperature)
            probabilities[v] = p
            total += p
        }
        for v in 0..<vocabulary { probabilities[v] /= total }
        let needsFilter = (options.topK > 0 && options.topK < vocabulary) || options.topP < 1
        if needsFilter {
            // Ties keep the lower id first, so the kept set does not depend on sort stability.
            let order = (0..<vocabulary).sorted { probabilities[$0] != probabilities[$1] ? probabilities[$0] > probabilities[$1] : $0 < $1 }
            var keep = options.topK > 0 ? min(options.topK, vocabulary) : vocabulary
            if options.topP < 1 {
                var cumulative = 0.0
                for (rank, v) in order.prefix(keep).enumerated() {
                    cumulative += probabilities[v]
                    if cumulative >= options.topP { keep = rank + 1; break }
                }
            }
            var kept = 0.0
            for (rank, v) in order.enumerated() {
                if rank < keep { kept += probabilities[v] } else { probabilities[v] = 0 }
            }
            for v in 0..<vocabulary { probabilities[v] /= kept }
        }
        let u = generator.nextDouble()
        var cumulative = 0.0
        var last = 0
        for v in 0..<vocabulary where probabilities[v] > 0 {
            cumulative += probabilities[v]
            last = v
            if u < cumulative { return Int32(v) }
        }
        return Int32(last)  // rounding left u above the total
    }
}
