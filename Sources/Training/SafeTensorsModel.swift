// A model as a safetensors file, named and shaped as the PyTorch twin (interop/torch) names it,
// with the run's config, architecture and tokenizer in `__metadata__`. The contract, shared with
// the twin, is the README's "Export and import" section, summarised:
//
//   MLP     embedding.weight  [V, d]    Descent `embedding`, same bytes
//           hidden.{i}.weight [H, in_i] transpose of Descent `hidden{i}.weight` (in_i, H); in_0 = T·d
//           hidden.{i}.bias   [H]
//           output.weight     [V, H]    transpose of Descent `output.weight` (H, V)
//           output.bias       [V]
//   bigram  table.weight      [V, V]    Descent `table`, same bytes (row: current token)
//
// PyTorch's nn.Linear keeps its weight as (out, in), Descent's Linear as (in, out), hence the
// transposes; nn.Embedding matches Descent's tables as they are. All tensors are F32.
//
// Reading checks the metadata before the tensors and the tensors before allocating a model, so a
// file that names a huge architecture is refused for its tensors, not for the memory it asks for.
// Deliberately not handled: optimizer moments and the data position (the file holds weights
// only), other dtypes than F32, and tensors beyond the architecture's.

import Foundation
import Models
import Parameters
import SafeTensors
import Tokenizers

/// Why a safetensors file is not a Descent model.
public enum SafeTensorsModelError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a valid safetensors file.
    case format(SafeTensorsError)
    case missingMetadata(key: String)
    case badMetadata(key: String, reason: String)
    /// A tensor the architecture needs is absent.
    case missingTensor(name: String, shape: [Int])
    /// A tensor the architecture does not have.
    case extraTensor(name: String)
    case wrongShape(name: String, expected: [Int], found: [Int])
    case wrongDType(name: String, found: String)

    public var description: String {
        switch self {
        case .format(let error): return error.description
        case .missingMetadata(let key):
            return "the file's __metadata__ has no '\(key)'; it was not written by `descent export` or the PyTorch twin (interop/torch)."
        case .badMetadata(let key, let reason):
            return "the file's __metadata__ '\(key)' is unusable: \(reason)."
        case .missingTensor(let name, let shape):
            return "the file lacks tensor '\(name)' (\(shape)), which its architecture needs."
        case .extraTensor(let name):
            return "the file holds tensor '\(name)', which its architecture does not have."
        case .wrongShape(let name, let expected, let found):
            return "tensor '\(name)' has shape \(found); its architecture needs \(expected)."
        case .wrongDType(let name, let found):
            return "tensor '\(name)' is \(found); Descent reads F32 only."
        }
    }
}

/// A model read from a safetensors file, with what its metadata says about it.
public struct ImportedModel {
    public let model: any LanguageModel
    /// The config from the metadata, with the reader's overrides applied.
    public let config: TrainingConfig
    public let tokenizer: any Tokenizer
    /// The tokenizer file's bytes, exactly as the metadata holds them.
    public let tokenizerJSON: Data
    /// Informational: the run and step that wrote the file, when it says.
    public let sourceRun: String?
    public let sourceStep: Int?
}

public enum SafeTensorsModel {
    public static let formatVersion = "1"

    /// The `__metadata__` keys (values are strings, as the format requires).
    public enum MetadataKey {
        public static let format = "descent.format"
        /// Compact JSON of `ModelArchitecture`, sorted keys.
        public static let architecture = "descent.architecture"
        /// The run's resolved config as JSON, the keys of configs/*.json.
        public static let config = "descent.config"
        /// The dataset's tokenizer.json, byte for byte.
        public static let tokenizer = "descent.tokenizer"
        public static let run = "descent.run"
        public static let step = "descent.step"
    }

    /// One tensor of the file and where it lives in Descent's layout.
    public struct TensorSpec: Equatable, Sendable {
        /// The twin's name.
        public let name: String
        /// The twin's shape.
        public let shape: [Int]
        /// The tensor in Descent's `ParameterLayout`.
        public let descentName: String
        /// Whether the file holds the transpose of Descent's (rows, columns) matrix.
        public let isTransposed: Bool
    }

    /// The file's tensors for `architecture`, in name order.
    public static func tensorSpecs(_ architecture: ModelArchitecture) -> [TensorSpec] {
        let (v, t, d, h) = (architecture.vocabularySize, architecture.contextLength, architecture.embeddingSize, architecture.hiddenSize)
        var specs: [TensorSpec] = []
        switch architecture.type {
        case .bigram:
            specs.append(TensorSpec(name: "table.weight", shape: [v, v], descentName: "table", isTransposed: false))
        case .mlp:
            specs.append(TensorSpec(name: "embedding.weight", shape: [v, d], descentName: "embedding", isTransposed: false))
            for layer in 0..<architecture.hiddenLayers {
                let inputs = layer == 0 ? t * d : h
                specs.append(TensorSpec(name: "hidden.\(layer).weight", shape: [h, inputs], descentName: "hidden\(layer).weight", isTransposed: true))
                specs.append(TensorSpec(name: "hidden.\(layer).bias", shape: [h], descentName: "hidden\(layer).bias", isTransposed: false))
            }
            specs.append(TensorSpec(name: "output.weight", shape: [v, h], descentName: "output.weight", isTransposed: true))
            specs.append(TensorSpec(name: "output.bias", shape: [v], descentName: "output.bias", isTransposed: false))
        }
        return specs.sorted { $0.name < $1.name }
    }

    // MARK: Export

    /// The file for `model`: its weights under the twin's names, and the metadata.
    /// - Parameters:
    ///   - configJSON: the run's config as stored (any formatting; written compact).
    ///   - tokenizerJSON: the tokenizer file's bytes.
    public static func file(model: any LanguageModel, config: TrainingConfig, tokenizerJSON: Data,
                            runName: String?, step: Int?) -> SafeTensorsFile {
        var tensors: [String: SafeTensor] = [:]
        for spec in tensorSpecs(model.architecture) {
            guard let tensor = model.layout[spec.descentName] else {
                preconditionFailure("SafeTensorsModel: the \(model.architecture.type) layout has no \(spec.descentName)")
            }
            let values = model.layout.view(tensor, in: model.parameters).toArray()
            let stored = spec.isTransposed ? transpose(values, rows: tensor.rows, columns: tensor.columns) : values
            tensors[spec.name] = SafeTensor(float32: stored, shape: spec.shape)
        }
        var metadata = [
            MetadataKey.format: formatVersion,
            MetadataKey.architecture: architectureJSON(model.architecture),
            MetadataKey.config: config.json(pretty: false),
            MetadataKey.tokenizer: String(decoding: tokenizerJSON, as: UTF8.self),
        ]
        if let runName { metadata[MetadataKey.run] = runName }
        if let step { metadata[MetadataKey.step] = String(step) }
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Compact JSON with sorted keys: `{"activation":"tanh","contextLength":3,…}`.
    public static func architectureJSON(_ architecture: ModelArchitecture) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A struct of numbers and enum strings: encoding cannot fail.
        return String(decoding: (try? encoder.encode(architecture)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// `values`, a (rows, columns) row-major matrix, as its (columns, rows) transpose.
    static func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for row in 0..<rows {
            for column in 0..<columns { out[column * rows + row] = values[row * columns + column] }
        }
        return out
    }

    // MARK: Import

    /// The model a file holds, checked against its metadata: format, architecture, config (with
    /// `configOverrides`, e.g. `data.dir=…`), tokenizer, then every tensor; the first mismatch
    /// is the error.
    public static func read(_ file: SafeTensorsFile, configOverrides: [String] = []) throws(SafeTensorsModelError) -> ImportedModel {
        func required(_ key: String) throws(SafeTensorsModelError) -> String {
            guard let value = file.metadata[key] else { throw .missingMetadata(key: key) }
            return value
        }
        let format = try required(MetadataKey.format)
        guard format == formatVersion else {
            throw .badMetadata(key: MetadataKey.format, reason: "version '\(format)', this build reads version \(formatVersion)")
        }
        let architectureText = try required(MetadataKey.architecture)
        let architecture: ModelArchitecture
        do { architecture = try JSONDecoder().decode(ModelArchitecture.self, from: Data(architectureText.utf8)) } catch {
            throw .badMetadata(key: MetadataKey.architecture, reason: CheckpointCodec.describe(error))
        }
        if let problem = architecture.problem { throw .badMetadata(key: MetadataKey.architecture, reason: problem) }

        let tokenizerText = try required(MetadataKey.tokenizer)
        let tokenizerJSON = Data(tokenizerText.utf8)
        let tokenizer: any Tokenizer
        do { tokenizer = try TokenizerFile.load(jsonData: tokenizerJSON, path: MetadataKey.tokenizer) } catch {
            throw .badMetadata(key: MetadataKey.tokenizer, reason: error.description)
        }
        guard tokenizer.vocabularySize == architecture.vocabularySize else {
            throw .badMetadata(key: MetadataKey.tokenizer, reason: "its vocabulary has \(tokenizer.vocabularySize) tokens, the architecture \(architecture.vocabularySize)")
        }

        let configText = try required(MetadataKey.config)
        let config: TrainingConfig
        do { config = try TrainingConfig.parse(json: Data(configText.utf8), source: MetadataKey.config, overrides: configOverrides) } catch {
            throw .badMetadata(key: MetadataKey.config, reason: error.description)
        }
        guard config.architecture(vocabularySize: architecture.vocabularySize) == architecture else {
            throw .badMetadata(key: MetadataKey.config, reason: "its model section describes another model than \(MetadataKey.architecture) (\(architectureText))")
        }

        let specs = tensorSpecs(architecture)
        let expected = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
        for name in Set(file.tensors.keys).union(expected.keys).sorted() {
            guard let spec = expected[name] else { throw .extraTensor(name: name) }
            guard let tensor = file.tensors[name] else { throw .missingTensor(name: name, shape: spec.shape) }
            guard tensor.dtype == .f32 else { throw .wrongDType(name: name, found: tensor.dtype.rawValue) }
            guard tensor.shape == spec.shape else { throw .wrongShape(name: name, expected: spec.shape, found: tensor.shape) }
        }

        let model = ModelFactory.make(architecture)
        for spec in specs {
            guard let target = model.layout[spec.descentName], let values = file.tensors[spec.name]?.float32Values else { continue }
            let descentOrder = spec.isTransposed ? transpose(values, rows: target.columns, columns: target.rows) : values
            model.layout.view(target, in: model.parameters).copy(from: descentOrder)
        }
        let step = file.metadata[MetadataKey.step].flatMap { Int($0) }
        return ImportedModel(model: model, config: config, tokenizer: tokenizer, tokenizerJSON: tokenizerJSON,
                             sourceRun: file.metadata[MetadataKey.run], sourceStep: step)
    }

    /// Decodes bytes and reads the model they hold.
    public static func read(bytes: [UInt8], configOverrides: [String] = []) throws(SafeTensorsModelError) -> ImportedModel {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(decoding: bytes) } catch { throw .format(error) }
        return try read(file, configOverrides: configOverrides)
    }
}
