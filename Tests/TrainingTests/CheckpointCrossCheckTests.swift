import Core
import Data
import Foundation
import Tokenizers
import XCTest
@testable import Training

/// A checkpoint's parts checked against each other, and damaged parts that end as typed errors.
final class CheckpointCrossCheckTests: NamesDatasetTestCase {
    func trainedBlobs(_ extra: [String] = []) throws -> (TrainingConfig, [String: [UInt8]]) {
        let config = try Fixtures.config(dataset.directory, Fixtures.smallMLP + ["training.maxSteps=20"] + extra)
        let trainer = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule)
        let recorder = MemoryRecorder()
        _ = try trainer.run(recorder: recorder)
        let last = try XCTUnwrapValue(recorder.checkpoints.last)
        return (config, Dictionary(uniqueKeysWithValues: last.blobs.map { ($0.name, $0.bytes) }))
    }

    func decodeError(_ blobs: [String: [UInt8]]) -> CheckpointError? {
        do { _ = try CheckpointCodec.decode(blobs) } catch { return error }
        return nil
    }

    func testATokenizerWithFewerSymbolsThanTheModelIsRefused() throws {
        var (_, blobs) = try trainedBlobs()
        let full = try XCTUnwrap(dataset.tokenizer as? CharacterTokenizer)
        let cut = try CharacterTokenizer(symbols: Array(full.symbols.dropLast(5)))
        blobs["tokenizer"] = Array(try cut.jsonData())
        XCTAssertEqual(decodeError(blobs), .inconsistent(reason: "the model has a vocabulary of \(full.vocabularySize), its tokenizer \(full.vocabularySize - 5)"))
    }

    func testOptimizerMomentsMustMatchTheParametersAndTheSteps() throws {
        var (_, blobs) = try trainedBlobs()
        let (_, other) = try trainedBlobs(["model.hiddenSize=8"])
        blobs["optimizer"] = other["optimizer"]
        guard case .inconsistent(let reason)? = decodeError(blobs) else { return XCTFail("\(String(describing: decodeError(blobs)))") }
        XCTAssert(reason.hasPrefix("the optimizer's moments hold"), reason)

        var (_, fresh) = try trainedBlobs()
        var optimizer = try XCTUnwrap(fresh["optimizer"])
        optimizer[16] = 7  // step count 7 (little-endian UInt64 at byte 16), the state says 20
        fresh["optimizer"] = optimizer
        XCTAssertEqual(decodeError(fresh), .inconsistent(reason: "the optimizer has taken 7 steps, the training state 20"))
    }

    func testTheLayoutMustBeTheArchitecturesAndTheWeightsItsSize() throws {
        var (_, blobs) = try trainedBlobs()
        let (_, bigger) = try trainedBlobs(["model.hiddenSize=24"])
        blobs["weights"] = bigger["weights"]
        guard case .inconsistent(let reason)? = decodeError(blobs) else { return XCTFail() }
        XCTAssert(reason.hasPrefix("the weights hold"), reason)

        // An architecture that claims a vocabulary of 2^40 tokens must not reach an allocator.
        var (_, huge) = try trainedBlobs()
        var model = try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(huge["model"]))) as! [String: Any]
        var architecture = model["architecture"] as! [String: Any]
        architecture["vocabularySize"] = 1 << 40
        model["architecture"] = architecture
        huge["model"] = Array(try JSONSerialization.data(withJSONObject: model))
        guard case .badPart(name: .model, let why)? = decodeError(huge) else { return XCTFail("\(String(describing: decodeError(huge)))") }
        XCTAssert(why.contains("vocabulary size"), why)

        architecture["vocabularySize"] = 27
        architecture["hiddenLayers"] = 0
        model["architecture"] = architecture
        huge["model"] = Array(try JSONSerialization.data(withJSONObject: model))
        XCTAssertEqual(decodeError(huge), .badPart(name: .model, reason: "hidden layers 0, expected at least 1"))
    }

    /// 40 seeded mutations of each part of a real checkpoint (with an AdamW run and an SGD run):
    /// each ends as a typed error or as a checkpoint that resumes, fine-tunes and samples without
    /// a trap. (The store's checksums catch the mutations that still decode; this is the layer
    /// under them.)
    func testMutatedPartsNeverTrapWhateverTheyReach() throws {
        var generator = Xoshiro256(seed: 11)
        var accepted: [String: Int] = [:]
        for extra in [["optimizer.type=adamw", "optimizer.learningRate=0.01"], []] {
            let (config, blobs) = try trainedBlobs(extra)
            for part in blobs.keys.sorted() {
                for _ in 0..<40 {
                    var damaged = blobs
                    var bytes = try XCTUnwrap(blobs[part])
                    BlobDamage.apply(to: &bytes, using: &generator)
                    damaged[part] = bytes
                    guard let loaded = try? CheckpointCodec.decode(damaged) else { continue }
                    accepted[part, default: 0] += 1
                    let resumed = try? Trainer(config: config, dataset: dataset, start: .resume(loaded), schedule: config.learningRateSchedule)
                    _ = try? resumed?.run(recorder: MemoryRecorder(), stopAt: loaded.state.step + 1)
                    if let model = try? loaded.makeModel() {
                        var options = SamplingOptions()
                        options.maxTokens = 5
                        _ = try? Sampler.generate(model: model, tokenizer: loaded.tokenizer, prompt: "", options: options)
                    }
                }
            }
        }
        XCTAssertLessThan(accepted["model", default: 0], 80, "most damaged model parts are refused")
        XCTAssertGreaterThan(accepted["weights", default: 0], 0, "flipped weight bits still decode: only the checksum sees them")
    }
}
