// libFuzzer targets for every decoder of stored bytes: shard files, the dataset manifest, the
// tokenizer file, a checkpoint's parts, the training config and a safetensors model file. One
// executable; the target is chosen by DESCENT_FUZZ_TARGET (shard, manifest, tokenizer,
// checkpoint, config, safetensors). A target
// passes when no input traps, overflows or trips AddressSanitizer: every decoder must throw its
// typed error instead, and whatever decodes must also be usable (a checkpoint that decodes
// builds its model, restores its optimizer and samples; a config that parses re-parses from its
// own JSON to the same value; a safetensors file that decodes re-encodes to a file that decodes
// to the same tensors and metadata).
//
// Build and run through scripts/fuzz.sh. Built without `--sanitize fuzzer` (as `swift build`
// does for every target), the executable has an empty main and does nothing.
//
// Input layouts:
//   shard       byte 0: vocabulary (bits 0-1: 27, 256, 65535 or 70000 tokens), bit 7: gzip the
//               rest first (so that the header and payload checks are reached, past gzip's CRC);
//               bytes 1-4: the token count the manifest would list (UInt32 LE); then the file.
//   checkpoint  byte 0: the part to replace (modulo the six parts), bit 7: the optimizer is
//               AdamW instead of SGD with momentum; then the part's bytes, over a valid checkpoint.
//   config      the JSON, then optionally a 0 byte and `--set` overrides, one per line.
//   manifest, tokenizer, safetensors: the file's bytes.

import CZlib
import Data
import Foundation
import Models
import Optimizers
import SafeTensors
import Tokenizers
import Training

enum FuzzTarget: String, CaseIterable {
    case shard, manifest, tokenizer, checkpoint, config, safetensors
}

nonisolated(unsafe) private var target: FuzzTarget = .shard
nonisolated(unsafe) private var checkpoints: [Bool: [String: [UInt8]]] = [:]
nonisolated(unsafe) private var configs: [Bool: TrainingConfig] = [:]

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let name = ProcessInfo.processInfo.environment["DESCENT_FUZZ_TARGET"] ?? ""
    guard let chosen = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("descent-fuzz: set DESCENT_FUZZ_TARGET to one of \(names)\n".utf8))
        exit(2)
    }
    target = chosen
    if target == .checkpoint {
        for adamW in [false, true] {
            let (config, blobs) = validCheckpoint(adamW: adamW)
            configs[adamW] = config
            checkpoints[adamW] = blobs
        }
        // The corpus seeds: each valid part behind its selector byte (scripts/fuzz.sh --seeds).
        if let directory = ProcessInfo.processInfo.environment["DESCENT_FUZZ_WRITE_SEEDS"] {
            for adamW in [false, true] {
                for (index, part) in CheckpointPart.allCases.enumerated() {
                    let selector = UInt8(index) | (adamW ? 0x80 : 0)
                    let path = "\(directory)/\(part.rawValue)-\(adamW ? "adamw" : "sgd")"
                    _ = FileManager.default.createFile(atPath: path, contents: Data([selector] + (checkpoints[adamW]?[part.rawValue] ?? [])))
                }
            }
            exit(0)
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch target {
    case .shard: fuzzShard(bytes)
    case .manifest: _ = try? PreparedDataset.decodeManifest(bytes, path: "fuzz/manifest.json")
    case .tokenizer: fuzzTokenizer(bytes)
    case .checkpoint: fuzzCheckpoint(bytes)
    case .config: fuzzConfig(bytes)
    case .safetensors: fuzzSafeTensors(bytes)
    }
    return 0
}

// MARK: Shards

private let shardVocabularies = [27, 256, 65_535, 70_000]

private func fuzzShard(_ bytes: [UInt8]) {
    guard bytes.count >= 5 else { return }
    let vocabularySize = shardVocabularies[Int(bytes[0] & 3)]
    let count = Int(UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 24)
    var file = Array(bytes[5...])
    if bytes[0] & 0x80 != 0 { file = gzip(file) }
    let reader = ShardReader(directory: "fuzz", vocabularySize: vocabularySize, tokenBytes: vocabularySize > 65_535 ? 4 : 2)
    var tokens: [Int32] = []
    do {
        try reader.decode(file, path: "fuzz/train_000000.bin.gz", tokenCount: count, appendingTo: &tokens)
        precondition(tokens.count == count && tokens.allSatisfy { $0 >= 0 && Int($0) < vocabularySize },
                     "a shard that decodes holds the listed count of in-range tokens")
    } catch {}
}

/// The bytes as one gzip member (windowBits 31), in memory.
private func gzip(_ input: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        return input
    }
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
    var input = input
    let written = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer -> Int in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = uInt(outBuffer.count)
            _ = deflate(&stream, Z_FINISH)
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<written])
}

// MARK: Tokenizers

private func fuzzTokenizer(_ bytes: [UInt8]) {
    guard let tokenizer = try? TokenizerFile.load(jsonData: Data(bytes), path: "fuzz/tokenizer.json") else { return }
    precondition(tokenizer.vocabularySize >= 1, "a tokenizer has at least its boundary token")
    precondition((0..<Int32(clamping: tokenizer.vocabularySize)).contains(tokenizer.boundaryToken), "the boundary is in the vocabulary")
    // Every id decodes; text encodes to ids in range and round-trips.
    let ids = (0..<min(tokenizer.vocabularySize, 300)).map { Int32($0) }
    let text = tokenizer.decode(ids)
    if let again = try? tokenizer.encode(text) {
        precondition(again.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize }, "encode gives ids in range")
        precondition(tokenizer.decode(again) == text, "decode(encode(text)) == text")
    }
    _ = try? tokenizer.encode(String(decoding: bytes.prefix(64), as: UTF8.self))
    if let json = try? tokenizer.jsonData(), let reloaded = try? TokenizerFile.load(jsonData: json) {
        precondition(reloaded.vocabularySize == tokenizer.vocabularySize, "a tokenizer reloads from its own file")
    } else {
        preconditionFailure("a tokenizer that loads writes a file that loads")
    }
}

// MARK: Checkpoints

/// A checkpoint of a tiny MLP, as the trainer writes it, to mutate one part of at a time.
private func validCheckpoint(adamW: Bool) -> (TrainingConfig, [String: [UInt8]]) {
    let optimizer = adamW ? #""optimizer": {"type": "adamw", "learningRate": 0.01}"# : #""optimizer": {"type": "sgd", "learningRate": 0.1, "momentum": 0.9}"#
    let json = #"{"data": {"dir": "fuzz"}, "model": {"type": "mlp", "contextLength": 3, "embeddingSize": 4, "hiddenSize": 8}, \#(optimizer)}"#
    // The fixed inputs above are valid; a failure here is a bug in the harness, not an input.
    let config = try! TrainingConfig.parse(json: Data(json.utf8), source: "fuzz")
    let tokenizer = CharacterTokenizer(text: "abcdefghijklmnopqrstuvwxyz")
    let model = ModelFactory.make(config.architecture(vocabularySize: tokenizer.vocabularySize))
    model.initializeParameters(seed: 1)
    let state = TrainingState(step: 0, loader: LoaderPosition(epoch: 0, shardIndex: 0, cursor: 0, shardOrder: .shuffled, split: .train,
                                                              seed: 1337, datasetFingerprint: String(repeating: "0", count: 64), shardCount: 1),
                              lastTrainLoss: nil, lastValLoss: nil, bestValLoss: nil, examplesSeen: 0, elapsedSeconds: 0, clippedSteps: 0)
    let blobs = CheckpointCodec.blobs(model: model, optimizerState: Optimizer(settings: config.optimizerSettings, layout: model.layout).stateBlob(),
                                      state: state, configJSON: config.json(), tokenizerJSON: try! tokenizer.jsonData())
    return (config, Dictionary(uniqueKeysWithValues: blobs.map { ($0.name, $0.bytes) }))
}

private func fuzzCheckpoint(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    let adamW = selector & 0x80 != 0
    let parts = CheckpointPart.allCases
    let part = parts[Int(selector & 0x7f) % parts.count]
    guard var blobs = checkpoints[adamW], let config = configs[adamW] else { return }
    blobs[part.rawValue] = Array(bytes.dropFirst())
    // The optimizer's own reader, on its own.
    _ = try? Optimizer.summary(ofStateBlob: blobs[CheckpointPart.optimizer.rawValue] ?? [])
    guard let loaded = try? CheckpointCodec.decode(blobs) else { return }
    // What decodes must be usable: no trap in building, restoring or sampling.
    guard let model = try? loaded.makeModel() else { return }
    let optimizer = Optimizer(settings: config.optimizerSettings, layout: model.layout)
    _ = try? optimizer.restore(stateBlob: loaded.optimizerState)
    var options = SamplingOptions()
    options.maxTokens = 4
    _ = try? Sampler.generate(model: model, tokenizer: loaded.tokenizer, prompt: "", options: options)
}

// MARK: Config

private func fuzzConfig(_ bytes: [UInt8]) {
    let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
    let overrides = split < bytes.endIndex
        ? String(decoding: bytes[(split + 1)...], as: UTF8.self).split(separator: "\n").map(String.init) : []
    guard let config = try? TrainingConfig.parse(json: Data(bytes[..<split]), source: "fuzz", overrides: overrides) else { return }
    guard let again = try? TrainingConfig.parse(json: Data(config.json().utf8), source: "fuzz") else {
        preconditionFailure("a config that parses re-parses from its own JSON")
    }
    precondition(again == config, "a config's JSON gives back the same config")
    _ = config.architecture(vocabularySize: 27).problem
    _ = config.learningRateSchedule.learningRate(at: 0)
}

// MARK: Safetensors

private func fuzzSafeTensors(_ bytes: [UInt8]) {
    guard let file = try? SafeTensorsFile(decoding: bytes) else { return }
    guard let again = try? SafeTensorsFile(decoding: file.encoded()), again == file else {
        fatalError("a decoded safetensors file does not survive its own encoding")
    }
    // The model reader checks the metadata and every tensor before it allocates a model.
    if let imported = try? SafeTensorsModel.read(file) {
        _ = SafeTensorsModel.file(model: imported.model, config: imported.config, tokenizerJSON: imported.tokenizerJSON,
                                  runName: nil, step: nil).encoded()
    }
}
