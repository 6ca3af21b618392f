import Core
import Kernels
import XCTest
@testable import Models

final class NextTokenPredictorTests: XCTestCase {
    func randomContexts(_ count: Int, _ architecture: ModelArchitecture, seed: UInt64) -> [Int32] {
        var generator = Xoshiro256(seed: seed)
        return (0..<(count * architecture.contextLength)).map { _ in Int32(generator.nextInt(below: architecture.vocabularySize)) }
    }

    /// Both first-layer paths give the logits of training's batched forward pass, up to rounding,
    /// on sizes that include T = 1, one hidden layer and several, and V above the row count.
    func testLogitsMatchTheModelForBothFirstLayers() {
        let shapes = [ModelArchitecture(type: .mlp, vocabularySize: 2, contextLength: 1, embeddingSize: 1, hiddenSize: 1, hiddenLayers: 1),
                      ModelArchitecture(type: .mlp, vocabularySize: 27, contextLength: 3, embeddingSize: 10, hiddenSize: 37, hiddenLayers: 1),
                      ModelArchitecture(type: .mlp, vocabularySize: 65, contextLength: 8, embeddingSize: 5, hiddenSize: 40,
                                        hiddenLayers: 3, activation: .gelu),
                      ModelArchitecture(type: .mlp, vocabularySize: 9, contextLength: 2, embeddingSize: 3, hiddenSize: 8,
                                        hiddenLayers: 2, activation: .relu)]
        for architecture in shapes {
            let model = MLPModel(architecture: architecture)
            model.initializeParameters(seed: 5)
            // Larger output weights than the initialisation's, so that the logits are not all near 0.
            let output = model.parameter("output.weight")!
            for i in 0..<output.count { output[i] *= 50 }
            let count = 7
            let contexts = randomContexts(count, architecture, seed: 9)
            let expected = model.logits(contexts: contexts, count: count).toArray()
            for (rows, path) in [(architecture.vocabularySize + 1, FirstLayerPath.tables), (1, .dense)] {
                let predictor = NextTokenPredictor(model: model, rowsToGenerate: rows)
                XCTAssertEqual(predictor.firstLayer, path)
                let logits = predictor.logits(contexts: contexts, count: count).toArray()
                for i in expected.indices {
                    XCTAssertEqual(logits[i], expected[i], accuracy: 1e-5 * max(1, abs(expected[i])), "\(architecture) \(path) at \(i)")
                }
                // One row at a time gives the same bits as all rows together.
                for row in 0..<count {
                    let t = architecture.contextLength
                    let alone = predictor.logits(contexts: Array(contexts[(row * t)..<((row + 1) * t)]), count: 1).toArray()
                    let v = architecture.vocabularySize
                    XCTAssertEqual(alone.map(\.bitPattern), logits[(row * v)..<((row + 1) * v)].map(\.bitPattern))
                }
            }
        }
    }

    func testTablesAreSkippedWhenTheyWouldNotPayOrNotFit() {
        let small = MLPModel(architecture: ModelArchitecture(type: .mlp, vocabularySize: 100, contextLength: 2, embeddingSize: 2,
                                                             hiddenSize: 4, hiddenLayers: 1))
        XCTAssertEqual(NextTokenPredictor(model: small, rowsToGenerate: 100).firstLayer, .dense, "no more rows than V")
        XCTAssertEqual(NextTokenPredictor(model: small, rowsToGenerate: 101).firstLayer, .tables)
        // 65,536 · 64 · 32 floats = 512 MiB of tables.
        let large = MLPModel(architecture: ModelArchitecture(type: .mlp, vocabularySize: 65_536, contextLength: 64, embeddingSize: 1,
                                                             hiddenSize: 32, hiddenLayers: 1))
        XCTAssertEqual(NextTokenPredictor(model: large, rowsToGenerate: 1_000_000).firstLayer, .dense)
        let bigram = BigramModel(vocabularySize: 5)
        bigram.parameters.withUnsafeMutablePointer { for i in 0..<25 { $0[i] = Float(i) } }
        let predictor = NextTokenPredictor(model: bigram, rowsToGenerate: 10)
        XCTAssertNil(predictor.firstLayer)
        XCTAssertEqual(predictor.logits(contexts: [3], count: 1).toArray(), [15, 16, 17, 18, 19])
    }
}
