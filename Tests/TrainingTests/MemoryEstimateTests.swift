import Models
import XCTest
@testable import Training

final class MemoryEstimateTests: XCTestCase {
    /// The parameter count computed from the architecture alone is the one the model's layout has.
    func testCheckedParameterCountMatchesTheModels() {
        let architectures = [
            ModelArchitecture(type: .bigram, vocabularySize: 27),
            ModelArchitecture(type: .mlp, vocabularySize: 27, contextLength: 3, embeddingSize: 10, hiddenSize: 200, hiddenLayers: 1),
            ModelArchitecture(type: .mlp, vocabularySize: 65, contextLength: 16, embeddingSize: 7, hiddenSize: 13, hiddenLayers: 3),
        ]
        for architecture in architectures {
            XCTAssertNil(architecture.problem)
            XCTAssertEqual(architecture.checkedParameterCount, ModelFactory.make(architecture).parameterCount, "\(architecture)")
        }
    }

    /// The CJK case of the issue: a bigram over 63,711 tokens is 16,236,366,084 bytes of
    /// parameters alone, and with gradients and AdamW's moments four times that.
    func testABigramOverALargeVocabularyIsCountedBeforeAllocating() {
        let architecture = ModelArchitecture(type: .bigram, vocabularySize: 63_711)
        let estimate = MemoryEstimate.training(architecture, batchSize: 32, momentBuffers: 2)
        XCTAssertEqual(estimate.parameterBytes, 16_236_366_084)
        XCTAssertEqual(estimate.gradientBytes, 16_236_366_084)
        XCTAssertEqual(estimate.optimizerBytes, 2 * 16_236_366_084)
        XCTAssertEqual(estimate.activationBytes, 32 * 63_711 * 4)
        XCTAssertGreaterThan(estimate.totalBytes, 4 * 16_236_366_084)
    }

    func testSizesThatOverflowAreReportedNotTrapped() {
        let huge = ModelArchitecture(type: .mlp, vocabularySize: 1 << 31 - 1, contextLength: 1 << 40, embeddingSize: 1 << 20, hiddenSize: 1 << 20, hiddenLayers: 1)
        XCTAssertNil(huge.checkedParameterCount)
        XCTAssertEqual(huge.problem, "a parameter count that overflows")
        XCTAssertEqual(MemoryEstimate.training(huge, batchSize: 1 << 20, momentBuffers: 2).totalBytes, Int.max)
        XCTAssertEqual(ModelArchitecture(type: .bigram, vocabularySize: 1).problem, "vocabulary size 1, expected 2...2147483647")
    }

    func testMomentBuffersAndFLOPs() {
        XCTAssertEqual(MemoryEstimate.momentBuffers(OptimizerSettingsFixture.sgd(momentum: 0)), 0)
        XCTAssertEqual(MemoryEstimate.momentBuffers(OptimizerSettingsFixture.sgd(momentum: 0.9)), 1)
        XCTAssertEqual(MemoryEstimate.momentBuffers(OptimizerSettingsFixture.adamW), 2)
        // 3·10 inputs × 200 hidden + 200 × 27 outputs = 11,400 multiply-adds per example forward;
        // × 2 FLOPs × 3 passes, plus 5 per logit, for 32 examples.
        let mlp = ModelArchitecture(type: .mlp, vocabularySize: 27, contextLength: 3, embeddingSize: 10, hiddenSize: 200, hiddenLayers: 1)
        XCTAssertEqual(MemoryEstimate.trainingFLOPs(mlp, batchSize: 32), 32 * (6 * 11_400 + 5 * 27))
    }
}

import Optimizers

enum OptimizerSettingsFixture {
    static func sgd(momentum: Double) -> OptimizerSettings {
        OptimizerSettings(kind: .sgd, momentum: momentum, nesterov: false, weightDecay: 0, decayEmbeddings: false,
                          beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
    }
    static let adamW = OptimizerSettings(kind: .adamw, momentum: 0, nesterov: false, weightDecay: 0.1, decayEmbeddings: false,
                                         beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
}
