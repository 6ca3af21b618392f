// A model as the PyTorch twin's safetensors file: the exact round trip, the (out, in) transposes,
// the metadata, and the refusals that name the first mismatch.

import Core
import Data
import Foundation
import Models
import SafeTensors
import Tokenizers
@testable import Training
import XCTest

final class SafeTensorsModelTests: NamesDatasetTestCase {
    func makeModel(_ overrides: [String]) throws -> (any LanguageModel, TrainingConfig) {
        let config = try Fixtures.config(dataset.directory, overrides)
        let model = ModelFactory.make(config.architecture(vocabularySize: dataset.tokenizer.vocabularySize))
        // Every value distinct and nonzero (biases included), so a misplaced one shows.
        var generator = Xoshiro256(seed: 3)
        for tensor in model.layout.tensors {
            let view = model.layout.view(tensor, in: model.parameters)
            view.copy(from: (0..<view.count).map { _ in Float(generator.nextGaussian()) })
        }
        return (model, config)
    }

    func file(_ model: any LanguageModel, _ config: TrainingConfig) throws -> SafeTensorsFile {
        SafeTensorsModel.file(model: model, config: config, tokenizerJSON: try dataset.tokenizer.jsonData(), runName: "r", step: 7)
    }

    static let twoLayerGELU = Fixtures.smallMLP + ["model.hiddenLayers=2", "model.activation=gelu"]

    func testMLPRoundTripIsExactAndLinearWeightsAreTransposed() throws {
        let (model, config) = try makeModel(Self.twoLayerGELU)
        let file = try file(model, config)
        XCTAssertEqual(file.tensors.keys.sorted(), ["embedding.weight", "hidden.0.bias", "hidden.0.weight", "hidden.1.bias",
                                                    "hidden.1.weight", "output.bias", "output.weight"])
        let (v, h, inputs) = (dataset.tokenizer.vocabularySize, 16, 3 * 4)
        XCTAssertEqual(file.tensors["hidden.0.weight"]?.shape, [h, inputs])
        XCTAssertEqual(file.tensors["hidden.1.weight"]?.shape, [h, h])
        XCTAssertEqual(file.tensors["output.weight"]?.shape, [v, h])
        XCTAssertEqual(file.tensors["embedding.weight"]?.shape, [v, 4])
        XCTAssertEqual(file.tensors["output.bias"]?.shape, [v])
        // PyTorch's W[out][in] is Descent's W[in][out].
        let descent = try XCTUnwrap(model.layout["hidden0.weight"].map { model.layout.view($0, in: model.parameters).toArray() })
        let twin = try XCTUnwrap(file.tensors["hidden.0.weight"]?.float32Values)
        for row in 0..<inputs { for column in 0..<h { XCTAssertEqual(twin[column * inputs + row], descent[row * h + column]) } }
        let embedding = try XCTUnwrap(model.layout["embedding"].map { model.layout.view($0, in: model.parameters).toArray() })
        XCTAssertEqual(file.tensors["embedding.weight"]?.float32Values, embedding)

        XCTAssertEqual(file.metadata[SafeTensorsModel.MetadataKey.format], "1")
        XCTAssertEqual(file.metadata[SafeTensorsModel.MetadataKey.architecture],
                       #"{"activation":"gelu","contextLength":3,"embeddingSize":4,"hiddenLayers":2,"hiddenSize":16,"type":"mlp","vocabularySize":\#(v)}"#)
        XCTAssertEqual(file.metadata[SafeTensorsModel.MetadataKey.tokenizer], String(decoding: try dataset.tokenizer.jsonData(), as: UTF8.self))
        XCTAssertEqual(file.metadata[SafeTensorsModel.MetadataKey.step], "7")

        let bytes = file.encoded()
        let imported = try SafeTensorsModel.read(bytes: bytes)
        XCTAssertEqual(imported.model.architecture, model.architecture)
        XCTAssertEqual(imported.model.parameters.toArray(), model.parameters.toArray())
        XCTAssertEqual(imported.config, config)
        XCTAssertEqual(imported.tokenizerJSON, try dataset.tokenizer.jsonData())
        XCTAssertEqual(imported.sourceRun, "r")
        XCTAssertEqual(imported.sourceStep, 7)
        let contexts: [Int32] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
        XCTAssertEqual(imported.model.logits(contexts: contexts, count: 3).toArray(), model.logits(contexts: contexts, count: 3).toArray())
        // Written again from the imported model: the same bytes.
        XCTAssertEqual(SafeTensorsModel.file(model: imported.model, config: imported.config, tokenizerJSON: imported.tokenizerJSON,
                                             runName: "r", step: 7).encoded(), bytes)
    }

    func testBigramTableIsStoredAsItIs() throws {
        let (model, config) = try makeModel(["model.type=bigram"])
        let file = try file(model, config)
        XCTAssertEqual(Array(file.tensors.keys), ["table.weight"])
        let v = dataset.tokenizer.vocabularySize
        XCTAssertEqual(file.tensors["table.weight"]?.shape, [v, v])
        XCTAssertEqual(file.tensors["table.weight"]?.float32Values, model.parameters.toArray().prefix(v * v).map { $0 })
        let imported = try SafeTensorsModel.read(bytes: file.encoded())
        XCTAssertEqual(imported.model.parameters.toArray(), model.parameters.toArray())
    }

    func testConfigOverridesApplyOnRead() throws {
        let (model, config) = try makeModel(Fixtures.smallMLP)
        let imported = try SafeTensorsModel.read(try file(model, config), configOverrides: ["data.dir=/elsewhere/names"])
        XCTAssertEqual(imported.config.data.directory, "/elsewhere/names")
    }

    func refusal(_ file: SafeTensorsFile) -> SafeTensorsModelError? {
        do { _ = try SafeTensorsModel.read(bytes: file.encoded()); XCTFail("read a file that should be refused"); return nil } catch {
            return error
        }
    }

    func testRefusesTensorMismatchesNamingTheFirst() throws {
        let (model, config) = try makeModel(Fixtures.smallMLP)
        let good = try file(model, config)
        let v = dataset.tokenizer.vocabularySize

        var missing = good
        missing.tensors["output.bias"] = nil
        XCTAssertEqual(refusal(missing), .missingTensor(name: "output.bias", shape: [v]))

        var extra = good
        extra.tensors["hidden.1.weight"] = SafeTensor(float32: [1], shape: [1])
        XCTAssertEqual(refusal(extra), .extraTensor(name: "hidden.1.weight"))

        var shaped = good
        shaped.tensors["hidden.0.bias"] = SafeTensor(float32: [Float](repeating: 0, count: 15), shape: [15])
        XCTAssertEqual(refusal(shaped), .wrongShape(name: "hidden.0.bias", expected: [16], found: [15]))

        var transposed = good
        transposed.tensors["output.weight"] = SafeTensor(float32: [Float](repeating: 0, count: 16 * v), shape: [16, v])
        XCTAssertEqual(refusal(transposed), .wrongShape(name: "output.weight", expected: [v, 16], found: [16, v]))

        var typed = good
        typed.tensors["hidden.0.bias"] = SafeTensor(dtype: .f64, shape: [16], bytes: [UInt8](repeating: 0, count: 128))
        XCTAssertEqual(refusal(typed), .wrongDType(name: "hidden.0.bias", found: "F64"))

        // Several problems: the first in name order is named.
        var several = good
        several.tensors["output.bias"] = nil
        several.tensors["embedding.weight"] = SafeTensor(float32: [1], shape: [1])
        XCTAssertEqual(refusal(several), .wrongShape(name: "embedding.weight", expected: [v, 4], found: [1]))
        XCTAssertTrue(SafeTensorsModelError.missingTensor(name: "output.bias", shape: [v]).description.contains("'output.bias'"))
    }

    func testRefusesMetadataThatDisagrees() throws {
        let (model, config) = try makeModel(Fixtures.smallMLP)
        let good = try file(model, config)
        typealias Key = SafeTensorsModel.MetadataKey
        for key in [Key.format, Key.architecture, Key.config, Key.tokenizer] {
            var lacking = good
            lacking.metadata[key] = nil
            XCTAssertEqual(refusal(lacking), .missingMetadata(key: key))
        }
        var version = good
        version.metadata[Key.format] = "2"
        guard case .badMetadata(Key.format, _) = refusal(version) else { return XCTFail("expected the format refused") }

        var wider = good
        wider.metadata[Key.architecture] = good.metadata[Key.architecture]?.replacingOccurrences(of: #""hiddenSize":16"#, with: #""hiddenSize":32"#)
        guard case .badMetadata(Key.config, let reason) = refusal(wider) else { return XCTFail("expected the config refused") }
        XCTAssertTrue(reason.contains("another model"), reason)

        var garbled = good
        garbled.metadata[Key.architecture] = "{"
        guard case .badMetadata(Key.architecture, _) = refusal(garbled) else { return XCTFail("expected the architecture refused") }

        var impossible = good
        impossible.metadata[Key.architecture] = #"{"activation":"tanh","contextLength":0,"embeddingSize":4,"hiddenLayers":1,"hiddenSize":16,"type":"mlp","vocabularySize":5}"#
        guard case .badMetadata(Key.architecture, _) = refusal(impossible) else { return XCTFail("expected the architecture refused") }

        var otherTokenizer = good
        otherTokenizer.metadata[Key.tokenizer] = String(decoding: try CharacterTokenizer(symbols: ["a", "b"]).jsonData(), as: UTF8.self)
        guard case .badMetadata(Key.tokenizer, let vocabulary) = refusal(otherTokenizer) else { return XCTFail("expected the tokenizer refused") }
        XCTAssertTrue(vocabulary.contains("3 tokens"), vocabulary)

        XCTAssertThrowsError(try SafeTensorsModel.read(bytes: [1, 2, 3])) { error in
            XCTAssertEqual(error as? SafeTensorsModelError, .format(.tooShort(fileBytes: 3)))
        }
    }
}
