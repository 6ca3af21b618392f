import Core
import Data
import Foundation
import Kernels
import Models
import Tokenizers
import XCTest
@testable import Training

final class SamplerTests: XCTestCase {
    /// A model with hand-set weights over a tokenizer of "abc": a bigram that mostly says a→b,
    /// b→c, c→end.
    func fixture() throws -> (any LanguageModel, any Tokenizer) {
        let tokenizer = CharacterTokenizer(text: "abc")
        let model = ModelFactory.make(ModelArchitecture(type: .bigram, vocabularySize: tokenizer.vocabularySize))
        let table = try XCTUnwrap(model.parameter("table"))
        let a = 1, b = 2, c = 3, end = 0
        table[end, a] = 3
        table[a, b] = 3
        table[b, c] = 3
        table[c, end] = 3
        return (model, tokenizer)
    }

    /// A byte-level BPE sample that stops inside a character shows the characters before it.
    func testSampleTextHasOnlyCompleteCharactersWithBytePairTokens() throws {
        var trainer = BytePairTrainer(options: BytePairOptions(vocabularySize: 265))
        Array("café 🦀 crab café".utf8).withUnsafeBufferPointer { trainer.observe(utf8: $0) }
        let tokenizer = try trainer.train()
        let crab = Array("a🦀".utf8).map { Int32($0) }
        XCTAssertEqual(GeneratedSample(tokens: Array(crab.prefix(4)), reachedBoundary: false).text(tokenizer), "a")
        XCTAssertEqual(GeneratedSample(tokens: crab, reachedBoundary: false).text(tokenizer), "a🦀")
        // "café" as bytes, cut inside the é: the e's lead byte is dropped, not replaced.
        let cafe = Array("café".utf8).map { Int32($0) }
        XCTAssertEqual(GeneratedSample(tokens: Array(cafe.prefix(4)), reachedBoundary: false).text(tokenizer), "caf")
        XCTAssertEqual(GeneratedSample(tokens: try tokenizer.encode("café 🦀"), reachedBoundary: true).text(tokenizer), "café 🦀")
    }

    func testSameSeedSameTextAndSamplesIndependentOfCount() throws {
        let (model, tokenizer) = try fixture()
        var options = SamplingOptions()
        options.seed = 7
        options.sampleCount = 5
        let five = try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "", options: options)
        let again = try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "", options: options)
        XCTAssertEqual(five, again)
        options.sampleCount = 1
        let one = try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "", options: options)
        XCTAssertEqual(one[0], five[0])
        options.seed = 8
        options.sampleCount = 5
        XCTAssertNotEqual(try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "", options: options), five)
    }

    func testGreedyAndTopKOneFollowTheMostLikelyPath() throws {
        let (model, tokenizer) = try fixture()
        var options = SamplingOptions()
        options.temperature = 0
        let greedy = try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "", options: options)
        XCTAssertEqual(tokenizer.decode(greedy[0].tokens), "abc")
        XCTAssertTrue(greedy[0].reachedBoundary)
        options.temperature = 1
        options.topK = 1
        options.sampleCount = 4
        for sample in try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "b", options: options) {
            XCTAssertEqual(tokenizer.decode(sample.tokens), "c")
        }
        options.topK = 0
        options.topP = 0.5
        for sample in try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "", options: options) {
            XCTAssertEqual(tokenizer.decode(sample.tokens), "abc")
        }
    }

    /// The prompt seeds the context: after "ab" greedy decoding continues with "c", not "abc".
    func testPromptSeedsTheContext() throws {
        let (model, tokenizer) = try fixture()
        var options = SamplingOptions()
        options.temperature = 0
        let sample = try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "ab", options: options)[0]
        XCTAssertEqual(tokenizer.decode(sample.tokens), "c")
    }

    func testMaxTokensBoundsGeneration() throws {
        let (model, tokenizer) = try fixture()
        var options = SamplingOptions()
        options.temperature = 0
        options.maxTokens = 2
        let sample = try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "", options: options)[0]
        XCTAssertEqual(sample.tokens.count, 2)
        XCTAssertFalse(sample.reachedBoundary)
    }

    func testBadOptionsAndUnknownPromptCharacters() throws {
        let (model, tokenizer) = try fixture()
        var options = SamplingOptions()
        XCTAssertThrowsError(try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "abz", options: options)) {
            XCTAssert("\($0)".contains("\"z\""), "\($0)")
        }
        options.topP = 0
        XCTAssertThrowsError(try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "", options: options))
        options = SamplingOptions()
        options.temperature = -1
        XCTAssertThrowsError(try Sampler.generate(model: model, tokenizer: tokenizer, prompt: "", options: options))
    }
}
