// What a checkpoint holds, and its encoding as named blobs for the store.
//
//   weights    magic "DWTS", version, float count, then the flat parameter buffer (LE Float32)
//   optimizer  the optimizer's own versioned blob (moments, step count)
//   state      JSON: completed steps, loader position, losses, counters (TrainingState)
//   model      JSON: architecture and parameter layout (names, shapes, offsets)
//   config     JSON: the full training config of the session that wrote it
//   tokenizer  the tokenizer file's bytes
//   trajectory optional: the run's weight snapshots so far (WeightTrajectory.swift), when
//              training.trajectoryPoints > 0
//
// Deliberately not handled: big-endian hosts (floats are written in native order, which is
// little-endian on every platform Swift targets for this project).

import Core
import Data
import Foundation
import Kernels
import Models
import Parameters
import Tokenizers

/// The model's description in a checkpoint: enough to rebuild it before loading weights.
public struct ModelDescription: Codable, Sendable, Equatable {
    public var architecture: ModelArchitecture
    public var layout: ParameterLayout
}

/// The named blobs of a checkpoint, as the store keeps them.
public enum CheckpointPart: String, CaseIterable, Sendable {
    case weights, optimizer, state, model, config, tokenizer
    /// Optional: only runs with `training.trajectoryPoints` > 0 write it.
    case trajectory
}

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missingPart(name: CheckpointPart)
    case badPart(name: CheckpointPart, reason: String)

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
    /// The weight snapshots taken so far, when the run keeps them.
    public let trajectory: WeightTrajectory?

    /// A model of the stored architecture holding the stored weights.
    public func makeModel() throws(CheckpointError) -> any LanguageModel {
        let model = ModelFactory.make(model.architecture)
        guard model.layout == self.model.layout else {
            throw .badPart(name: .model, reason: "its parameter layout does not match this build's \(self.model.architecture.type) model")
        }
        try CheckpointCodec.loadWeights(weights, into: model.parameters)
        return model
    }
}

public enum CheckpointCodec {
    static let weightsMagic: UInt32 = 0x5354_5744  // "DWTS" little-endian
    static let weightsVersion: UInt32 = 1
    static let weightsHeaderBytes = 16

    /// The weights blob: magic, version, UInt64 value count, then the parameter buffer's bytes.
    public static func weightsBlob(_ parameters: FloatBuffer) -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: weightsHeaderBytes + parameters.count * 4)
        writer.writeHeader(magic: weightsMagic, version: weightsVersion)
        writer.write(UInt64(parameters.count))
        parameters.withUnsafeBytes { writer.write(floats: $0) }
        return writer.bytes
    }

    /// SHA-256 of the weight bytes (the payload after the header): equal weights, equal digest.
    public static func weightsSHA256(_ parameters: FloatBuffer) -> String {
        var hasher = SHA256()
        parameters.withUnsafeBytes { hasher.update($0) }
        return hasher.finalizeHex()
    }

    /// Loads a `weightsBlob` into `parameters`, which are left untouched unless the whole blob is
    /// valid and holds exactly `parameters.count` values.
    static func loadWeights(_ blob: [UInt8], into parameters: FloatBuffer) throws(CheckpointError) {
        var reader = BinaryReader(blob, name: CheckpointPart.weights.rawValue)
        let payload: ArraySlice<UInt8>
        do throws(BinaryCodecError) {
            try reader.readMagic(weightsMagic)
            try reader.readVersion(weightsVersion)
            let countOffset = reader.offset
            let count = try reader.readCount64("value count")
            guard count == parameters.count else {
                throw reader.invalid("value count", at: countOffset, value: count,
                                     expected: "\(parameters.count), the model's parameter count")
            }
            payload = try reader.readFloats(count: count)
            try reader.expectEnd()
        } catch {
            throw .badPart(name: .weights, reason: error.evidence)
        }
        payload.withUnsafeBytes { parameters.assign(bytes: $0) }
    }

    static func encodeJSON<Value: Encodable>(_ value: Value) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every value encoded here is a plain struct of numbers and strings; encoding cannot fail.
        return Array((try? encoder.encode(value)) ?? Data())
    }

    public static func blobs(model: any LanguageModel, optimizerState: [UInt8], state: TrainingState, configJSON: String,
                             tokenizerJSON: Data, trajectory: WeightTrajectory? = nil) -> [(name: String, bytes: [UInt8])] {
        let parts: [(CheckpointPart, [UInt8])] = [
            (.weights, weightsBlob(model.parameters)),
            (.optimizer, optimizerState),
            (.state, encodeJSON(state)),
            (.model, encodeJSON(ModelDescription(architecture: model.architecture, layout: model.layout))),
            (.config, Array(configJSON.utf8)),
            (.tokenizer, Array(tokenizerJSON)),
        ] + (trajectory.map { [(.trajectory, $0.blob())] } ?? [])
        return parts.map { (name: $0.0.rawValue, bytes: $0.1) }
    }

    public static func decode(_ blobs: [String: [UInt8]]) throws(CheckpointError) -> LoadedCheckpoint {
        func part(_ name: CheckpointPart) throws(CheckpointError) -> [UInt8] {
            guard let bytes = blobs[name.rawValue] else { throw .missingPart(name: name) }
            return bytes
        }
        func json<Value: Decodable>(_ type: Value.Type, _ name: CheckpointPart) throws(CheckpointError) -> Value {
            let bytes = try part(name)
            do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
                throw .badPart(name: name, reason: "\(error)")
            }
        }
        let state = try json(TrainingState.self, .state)
        guard TrainingState.readableFormats.contains(state.format) else {
            throw .badPart(name: .state, reason: "format \(state.format), this build reads formats \(TrainingState.readableFormats.lowerBound)–\(TrainingState.readableFormats.upperBound)")
        }
        let tokenizerJSON = Data(try part(.tokenizer))
        let tokenizer: any Tokenizer
        do { tokenizer = try TokenizerFile.load(jsonData: tokenizerJSON, path: "checkpoint tokenizer") } catch {
            throw .badPart(name: .tokenizer, reason: error.description)
        }
        var trajectory: WeightTrajectory? = nil
        if let bytes = blobs[CheckpointPart.trajectory.rawValue] {
            do { trajectory = try WeightTrajectory(blob: bytes) } catch {
                throw .badPart(name: .trajectory, reason: error.evidence)
            }
        }
        return LoadedCheckpoint(model: try json(ModelDescription.self, .model), weights: try part(.weights),
                                optimizerState: try part(.optimizer), state: state,
                                configJSON: String(decoding: try part(.config), as: UTF8.self),
                                tokenizer: tokenizer, tokenizerJSON: tokenizerJSON, trajectory: trajectory)
    }
}
