// What a checkpoint holds, and its encoding as named blobs for the store.
//
//   weights    magic "DWTS", version, float count, then the flat parameter buffer (LE Float32)
//   optimizer  the optimizer's own versioned blob (moments, step count)
//   state      JSON: completed steps, RNG state, loader position, losses, counters
//   model      JSON: architecture and parameter layout (names, shapes, offsets)
//   config     JSON: the full training config of the session that wrote it
//   tokenizer  the tokenizer file's bytes
//
// Deliberately not handled: big-endian hosts (floats are written in native order, which is
// little-endian on every platform Swift targets for this project).

import Core
import Data
import Foundation
import Kernels
import Models
import Tokenizers

/// The trainer's resumable state besides weights and optimizer moments.
public struct TrainingState: Codable, Sendable, Equatable {
    public static let currentFormat = 1
    public var format: Int = TrainingState.currentFormat
    /// Optimizer steps completed.
    public var step: Int
    /// The trainer's RNG state (xoshiro256**), for anything stochastic in training.
    public var rng: [UInt64]
    public var loader: LoaderPosition
    public var lastTrainLoss: Double?
    public var lastValLoss: Double?
    public var bestValLoss: Double?
    /// Next-token predictions trained on so far.
    public var examplesSeen: Int
    /// Wall-clock seconds spent training, summed over sessions.
    public var elapsedSeconds: Double
    public var clippedSteps: Int
}

/// The model's description in a checkpoint: enough to rebuild it before loading weights.
public struct ModelDescription: Codable, Sendable, Equatable {
    public var architecture: ModelArchitecture
    public var layout: ParameterLayout
}

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missingPart(name: String)
    case badPart(name: String, reason: String)

    public var description: String {
        switch self {
        case .missingPart(let name):
            return "the checkpoint lacks its '\(name)' part; it was written by an incompatible version or is damaged. Use another checkpoint (--checkpoint STEP)."
        case .badPart(let name, let reason):
            return "the checkpoint's '\(name)' part is unusable (\(reason)). Use another checkpoint (--checkpoint STEP)."
        }
    }
}

/// A checkpoint read back from its blobs.
public struct LoadedCheckpoint {
    public let model: ModelDescription
    public let weights: [UInt8]
    public let optimizerState: [UInt8]
    public let state: TrainingState
    public let configJSON: String
    public let tokenizer: any Tokenizer
    public let tokenizerJSON: Data

    /// A model of the stored architecture holding the stored weights.
    public func makeModel() throws(CheckpointError) -> any LanguageModel {
        let model = ModelFactory.make(model.architecture)
        guard model.layout == self.model.layout else {
            throw .badPart(name: "model", reason: "its parameter layout does not match this build's \(self.model.architecture.type) model")
        }
        try CheckpointCodec.loadWeights(weights, into: model.parameters)
        return model
    }
}

public enum CheckpointCodec {
    static let weightsMagic: UInt32 = 0x5354_5744  // "DWTS" little-endian
    static let weightsVersion: UInt32 = 1
    static let weightsHeaderBytes = 16

    /// The weights blob: header, then the parameter buffer's bytes.
    public static func weightsBlob(_ parameters: FloatBuffer) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(weightsHeaderBytes + parameters.count * 4)
        withUnsafeBytes(of: weightsMagic.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: weightsVersion.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(parameters.count).littleEndian) { bytes.append(contentsOf: $0) }
        parameters.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// SHA-256 of the weight bytes (the payload after the header): equal weights, equal digest.
    public static func weightsSHA256(_ parameters: FloatBuffer) -> String {
        var hasher = SHA256()
        parameters.withUnsafeBytes { hasher.update($0) }
        return hasher.finalizeHex()
    }

    static func loadWeights(_ blob: [UInt8], into parameters: FloatBuffer) throws(CheckpointError) {
        guard blob.count >= weightsHeaderBytes else { throw .badPart(name: "weights", reason: "\(blob.count) bytes") }
        let magic = blob[0..<4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let version = blob[4..<8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let count = blob[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard magic == weightsMagic else { throw .badPart(name: "weights", reason: "bad magic") }
        guard version == weightsVersion else { throw .badPart(name: "weights", reason: "version \(version)") }
        guard Int(count) == parameters.count, blob.count == weightsHeaderBytes + parameters.count * 4 else {
            throw .badPart(name: "weights", reason: "\(count) values for a model of \(parameters.count)")
        }
        blob.withUnsafeBytes { raw in
            parameters.assign(bytes: UnsafeRawBufferPointer(rebasing: raw[weightsHeaderBytes...]))
        }
    }

    static func encodeJSON<Value: Encodable>(_ value: Value) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every value encoded here is a plain struct of numbers and strings; encoding cannot fail.
        return Array((try? encoder.encode(value)) ?? Data())
    }

    public static func blobs(model: any LanguageModel, optimizerState: [UInt8], state: TrainingState, configJSON: String,
                             tokenizerJSON: Data) -> [(name: String, bytes: [UInt8])] {
        [("weights", weightsBlob(model.parameters)),
         ("optimizer", optimizerState),
         ("state", encodeJSON(state)),
         ("model", encodeJSON(ModelDescription(architecture: model.architecture, layout: model.layout))),
         ("config", Array(configJSON.utf8)),
         ("tokenizer", Array(tokenizerJSON))]
    }

    public static func decode(_ blobs: [String: [UInt8]]) throws(CheckpointError) -> LoadedCheckpoint {
        func part(_ name: String) throws(CheckpointError) -> [UInt8] {
            guard let bytes = blobs[name] else { throw .missingPart(name: name) }
            return bytes
        }
        func json<Value: Decodable>(_ type: Value.Type, _ name: String) throws(CheckpointError) -> Value {
            let bytes = try part(name)
            do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
                throw .badPart(name: name, reason: "\(error)")
            }
        }
        let state = try json(TrainingState.self, "state")
        guard state.format == TrainingState.currentFormat else {
            throw .badPart(name: "state", reason: "format \(state.format), this build reads \(TrainingState.currentFormat)")
        }
        let tokenizerJSON = Data(try part("tokenizer"))
        let tokenizer: any Tokenizer
        do { tokenizer = try TokenizerFile.load(jsonData: tokenizerJSON, path: "checkpoint tokenizer") } catch {
            throw .badPart(name: "tokenizer", reason: error.description)
        }
        return LoadedCheckpoint(model: try json(ModelDescription.self, "model"), weights: try part("weights"),
                                optimizerState: try part("optimizer"), state: state,
                                configJSON: String(decoding: try part("config"), as: UTF8.self),
                                tokenizer: tokenizer, tokenizerJSON: tokenizerJSON)
    }
}
