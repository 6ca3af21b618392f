// Loss of a model on any text: `descent eval`.
//
// The text is read as `prepare` reads a corpus (documents by --split-by, each after a boundary
// token), and every position of that stream is scored, document ends included, so the figure is
// the validation loss of a dataset prepared from that text.

import Data
import Foundation
import Models
import Tokenizers

public struct EvaluationResult: Sendable, Equatable, Codable {
    /// Mean negative log-likelihood per predicted token, in nats.
    public let loss: Double
    /// exp(loss).
    public let perplexity: Double
    /// Total bits over the characters scored; each document end counts as one character (it is
    /// predicted like a newline), so for the character tokenizer this is loss / ln 2.
    public let bitsPerCharacter: Double
    /// Tokens predicted (document ends included).
    public let tokens: Int
    /// Unicode scalars of the documents' text, counted from the text whatever the tokenizer.
    public let characters: Int
    public let documents: Int
}

public enum Evaluator {
    /// Scores every position of the token stream of `paths` under `model`.
    public static func evaluate(model: any LanguageModel, tokenizer: any Tokenizer, paths: [String], split: DocumentSplit,
                                batchSize: Int = 256) throws(DataError) -> EvaluationResult {
        let contextLength = model.architecture.contextLength
        let boundary = tokenizer.boundaryToken
        model.reserve(batchSize: batchSize)
        var contexts = [Int32](repeating: boundary, count: batchSize * contextLength)
        var targets = [Int32](repeating: boundary, count: batchSize)
        var filled = 0
        var total = 0.0
        var predicted = 0
        // The last `contextLength` tokens of the stream so far: enough to build any next context.
        var tail: [Int32] = []
        tail.reserveCapacity(contextLength + 1)
        var started = false

        func scoreBatch() {
            guard filled > 0 else { return }
            total += model.lossSum(contexts: contexts, targets: targets, count: filled)
            predicted += filled
            filled = 0
        }

        let summary = try TextTokenStream.read(paths: paths, split: split, tokenizer: tokenizer) { tokens in
            for token in tokens {
                // Position 0 (the first boundary) has no context and is not an example.
                if started {
                    ContextWindow.fill(&contexts, at: filled * contextLength, stream: tail, position: tail.count,
                                       contextLength: contextLength, boundaryToken: boundary)
                    targets[filled] = token
                    filled += 1
                    if filled == batchSize { scoreBatch() }
                }
                started = true
                if tail.count == contextLength { tail.removeFirst() }
                if contextLength > 0 { tail.append(token) }
            }
        }
        scoreBatch()
        guard predicted > 0 else { throw .emptyCorpus(inputs: paths) }
        let loss = total / Double(predicted)
        let characters = summary.characters + summary.documents
        return EvaluationResult(loss: loss, perplexity: exp(loss), bitsPerCharacter: total / log(2.0) / Double(characters),
                                tokens: predicted, characters: summary.characters, documents: summary.documents)
    }
}
