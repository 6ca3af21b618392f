// `descent-bench logits`: what Descent's own forward pass computes for a safetensors model file, on
// a fixed batch, as JSON: the oracle of the interop tests (interop/tests/test_export_numpy.py runs
// the same batch through numpy, the PyTorch twin's parity tests through torch).
//
// The model is built from the file by `SafeTensorsModel.read`, the path `descent import` takes;
// import and export are exact inverses (CLITests check equal weight digests), so these are the
// logits of the exported run's checkpoint. Contexts and targets are uniform random token ids from
// --seed: any ids are valid inputs to the forward pass, and the batch is the same everywhere.

import ArgumentParser
import Core
import Foundation
import Models
import Training

struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Print Descent's logits and mean loss for a safetensors model on a seeded batch, as JSON.",
        discussion: """
            Output: {"contextLength", "vocabularySize", "contexts": [[id × T] × B],
            "targets": [id × B], "logits": [[float × V] × B], "loss": mean cross-entropy}.
            Example:
              descent export names-mlp -o m.safetensors
              descent-bench logits m.safetensors --batch 8 --seed 1 -o logits.json
            """)

    @Argument(help: "A safetensors file written by `descent export` or the PyTorch twin.")
    var file: String

    @Option(help: "Examples in the batch (B).")
    var batch = 8

    @Option(help: "Seed of the batch's token ids.")
    var seed: UInt64 = 1

    @Option(name: [.short, .customLong("output")], help: "Write the JSON here instead of standard output.")
    var output: String?

    struct Report: Encodable {
        let contextLength: Int
        let vocabularySize: Int
        let contexts: [[Int32]]
        let targets: [Int32]
        let logits: [[Double]]
        let loss: Double
    }

    func validate() throws {
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be in 1...4096, got \(batch).") }
    }

    func run() throws {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        let imported: ImportedModel
        do { imported = try SafeTensorsModel.read(bytes: bytes) } catch { throw ValidationError("\(file): \(error.description)") }
        let model = imported.model
        let (t, v) = (model.architecture.contextLength, model.architecture.vocabularySize)
        var generator = Xoshiro256(seed: seed)
        let contexts = (0..<(batch * t)).map { _ in Int32(generator.nextInt(below: v)) }
        let targets = (0..<batch).map { _ in Int32(generator.nextInt(below: v)) }
        let logits = model.logits(contexts: contexts, count: batch).toArray().map(Double.init)
        let loss = model.lossSum(contexts: contexts, targets: targets, count: batch) / Double(batch)
        let report = Report(contextLength: t, vocabularySize: v,
                            contexts: (0..<batch).map { Array(contexts[($0 * t)..<(($0 + 1) * t)]) }, targets: targets,
                            logits: (0..<batch).map { Array(logits[($0 * v)..<(($0 + 1) * v)]) }, loss: loss)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(report) + Data("\n".utf8)
        if let output { try json.write(to: URL(fileURLWithPath: output)) } else { FileHandle.standardOutput.write(json) }
    }
}
