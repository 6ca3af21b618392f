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
import Optimizers
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
    /// Two parts that each decode but disagree (the model's vocabulary and the tokenizer's, the
    /// weights' count and the layout's, the optimizer's moments and the parameter count).
    case inconsistent(reason: String)

    public var description: String {
        switch self {
        case .inconsistent(let reason):
            return "the checkpoint's parts disagree (\(reason)); it is damaged. Use another checkpoint (--checkpoint STEP)."
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

    /// A model of the stored architecture holding the stored weights; `dropout` for training on.
    public func makeModel(firstLayer: FirstLayerPath = .auto, dropout: Float = 0) throws(CheckpointError) -> any LanguageModel {
        let model = ModelFactory.make(model.architecture, firstLayer: firstLayer, dropout: dropout)
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

    /// Decodes every part and checks them against each other, so that nothing built from a
    /// checkpoint that passes can index out of range: the architecture is one a model can have,
    /// the layout is the architecture's, the weights and the optimizer's moments hold the layout's
    /// count, the optimizer has taken the state's steps, and the tokenizer's vocabulary is the
    /// model's. Allocates nothing in proportion to the sizes it reads.
    public static func decode(_ blobs: [String: [UInt8]]) throws(CheckpointError) -> LoadedCheckpoint {
        func part(_ name: CheckpointPart) throws(CheckpointError) -> [UInt8] {
            guard let bytes = blobs[name.rawValue] else { throw .missingPart(name: name) }
            return bytes
        }
        func json<Value: Decodable>(_ type: Value.Type, _ name: CheckpointPart) throws(CheckpointError) -> Value {
            let bytes = try part(name)
            do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
                throw .badPart(name: name, reason: Self.describe(error))
            }
        }
        let state = try json(TrainingState.self, .state)
        guard TrainingState.readableFormats.contains(state.format) else {
            throw .badPart(name: .state, reason: "format \(state.format), this build reads formats \(TrainingState.readableFormats.lowerBound)–\(TrainingState.readableFormats.upperBound)")
        }
        guard state.step >= 0, state.examplesSeen >= 0, state.clippedSteps >= 0, state.elapsedSeconds.isFinite else {
            throw .badPart(name: .state, reason: "negative or non-finite counters (step \(state.step))")
        }
        let model = try json(ModelDescription.self, .model)
        if let problem = model.architecture.problem { throw .badPart(name: .model, reason: problem) }
        if let problem = Self.layoutProblem(model.layout, parameterCount: model.architecture.checkedParameterCount ?? -1) {
            throw .badPart(name: .model, reason: problem)
        }
        let tokenizerJSON = Data(try part(.tokenizer))
        let tokenizer: any Tokenizer
        do { tokenizer = try TokenizerFile.load(jsonData: tokenizerJSON, path: "checkpoint tokenizer") } catch {
            throw .badPart(name: .tokenizer, reason: error.description)
        }
        guard tokenizer.vocabularySize == model.architecture.vocabularySize else {
            throw .inconsistent(reason: "the model has a vocabulary of \(model.architecture.vocabularySize), its tokenizer \(tokenizer.vocabularySize)")
        }
        let weights = try part(.weights)
        let weightCount = try weightsCount(weights)
        guard weightCount == model.layout.count else {
            throw .inconsistent(reason: "the weights hold \(weightCount) values, the model's layout \(model.layout.count)")
        }
        let optimizerState = try part(.optimizer)
        let optimizer: Optimizer.StateSummary
        do { optimizer = try Optimizer.summary(ofStateBlob: optimizerState) } catch {
            throw .badPart(name: .optimizer, reason: Self.reason(error))
        }
        guard optimizer.momentCount == 0 || optimizer.floatsPerMoment == model.layout.count else {
            throw .inconsistent(reason: "the optimizer's moments hold \(optimizer.floatsPerMoment) values each, the model \(model.layout.count)")
        }
        guard optimizer.stepCount == state.step else {
            throw .inconsistent(reason: "the optimizer has taken \(optimizer.stepCount) steps, the training state \(state.step)")
        }
        let configJSON = String(decoding: try part(.config), as: UTF8.self)
        let config: TrainingConfig
        do { config = try TrainingConfig.stored(json: configJSON, runName: "checkpoint") } catch {
            throw .badPart(name: .config, reason: error.description)
        }
        guard config.architecture(vocabularySize: model.architecture.vocabularySize) == model.architecture else {
            throw .inconsistent(reason: "the config describes another model than the model part")
        }
        guard config.optimizer.type == optimizer.kind else {
            throw .inconsistent(reason: "the config trains with \(config.optimizer.type.rawValue), the optimizer state is \(optimizer.kind.rawValue)'s")
        }
        var trajectory: WeightTrajectory? = nil
        if let bytes = blobs[CheckpointPart.trajectory.rawValue] {
            do { trajectory = try WeightTrajectory(blob: bytes) } catch {
                throw .badPart(name: .trajectory, reason: error.evidence)
            }
            guard trajectory!.valueCount == model.layout.count else {
                throw .inconsistent(reason: "the trajectory's snapshots hold \(trajectory!.valueCount) values, the model \(model.layout.count)")
            }
        }
        return LoadedCheckpoint(model: model, weights: weights, optimizerState: optimizerState, state: state,
                                configJSON: configJSON, tokenizer: tokenizer, tokenizerJSON: tokenizerJSON,
                                trajectory: trajectory)
    }

    /// The value count in a weights blob's header, with the blob's length checked against it.
    static func weightsCount(_ blob: [UInt8]) throws(CheckpointError) -> Int {
        var reader = BinaryReader(blob, name: CheckpointPart.weights.rawValue)
        do throws(BinaryCodecError) {
            try reader.readMagic(weightsMagic)
            try reader.readVersion(weightsVersion)
            let count = try reader.readCount64("value count")
            _ = try reader.readFloats(count: count)
            try reader.expectEnd()
            return count
        } catch {
            throw .badPart(name: .weights, reason: error.evidence)
        }
    }

    /// Why `layout` cannot be a model's layout with `parameterCount` trainable values: tensors
    /// must have positive shapes, aligned offsets in order without overlap, and end the buffer.
    static func layoutProblem(_ layout: ParameterLayout, parameterCount: Int) -> String? {
        var end = 0
        var total = 0
        var names = Set<String>()
        for tensor in layout.tensors {
            guard names.insert(tensor.name).inserted else { return "tensor \(tensor.name) appears twice" }
            let (count, overflow) = tensor.rows.multipliedReportingOverflow(by: tensor.columns)
            guard tensor.rows > 0, tensor.columns > 0, !overflow, count <= Int.max / 64 else {
                return "tensor \(tensor.name) has shape \(tensor.rows)×\(tensor.columns)"
            }
            guard tensor.offset >= end, tensor.offset % 16 == 0, tensor.offset <= Int.max / 64 else {
                return "tensor \(tensor.name) at offset \(tensor.offset), after the previous tensor's end \(end)"
            }
            end = tensor.offset + count
            total += count
        }
        guard end == layout.count else { return "the layout's count \(layout.count) is not its last tensor's end \(end)" }
        guard total == parameterCount else {
            return "\(total) trainable values, the architecture has \(parameterCount)"
        }
        return nil
    }

    private static func reason(_ error: OptimizerError) -> String {
        switch error { case .badState(let reason): return reason }
    }

    /// JSONDecoder's error without its coding-path dump: what is wrong and where.
    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "not valid JSON" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .dataCorrupted(let context): return "not valid JSON\(path(context))"
        case .keyNotFound(let key, let context): return "no \(key.stringValue)\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "a value of the wrong type\(path(context))"
        @unknown default: return "not valid JSON"
        }
    }
}
