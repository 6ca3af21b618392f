// `descent import`: a safetensors file (from `descent export` or the PyTorch twin) as a new run.

import ArgumentParser
import Data
import Foundation
import RunRecords
import Store
import Training

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Create a run from a safetensors file written by `descent export` or the PyTorch twin.",
        discussion: HelpText.paragraphs(
            """
            The file's __metadata__ gives the config, the architecture and the tokenizer; its \
            tensors must be exactly the architecture's (names, shapes, F32), or the first that is \
            not is named and nothing is created. The dataset the config names (data.dir, or \
            --data DIR on this machine) must be there, prepared with the same tokenizer: it gives \
            the run its data position and its validation loss.
            """,
            """
            The new run has one checkpoint, at step 0, holding the weights with a fresh optimizer \
            state. A safetensors file holds no optimizer moments and no data position, so \
            `descent train --resume RUN` trains the imported weights from step 0 through the \
            config's whole schedule (fine-tuning in place; change training.maxSteps or the \
            learning rate with --set). The step the file was written at is kept in the run's \
            status. `sample`, `eval`, `show`, `export` and `train --init-from` read the run as any other.
            """)
            + "\n\n" + """
            Examples:
              descent import names-mlp.safetensors --run names-mlp-torch
              descent import model.safetensors --run from-gpu --data data/names
              descent sample from-gpu --num-samples 10
            """
    )

    @Argument(help: ArgumentHelp("The safetensors file to import.", valueName: "file"))
    var file: String

    @Option(name: .customLong("run"), help: ArgumentHelp("Name of the new run.", valueName: "name"))
    var runName: String

    @Option(name: .long, help: ArgumentHelp("""
        The prepared dataset on this machine (sets the config's data.dir); default: the data.dir \
        in the file's config.
        """, valueName: "dir"))
    var data: String?

    @Flag(name: .long, help: "Replace an existing run of the same name (its metrics and checkpoints are deleted).")
    var overwrite = false

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if data?.isEmpty == true { throw ValidationError("--data needs a dataset directory, e.g. --data data/names.") }
    }

    func run() throws {
        compute.apply()
        try attempt { try RunStore.validate(runName: runName) }
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) } catch {
            throw CommandFailure(message: "cannot read \(file): \(error.localizedDescription)", code: 1)
        }
        let overrides = data.map { ["data.dir=\($0)"] } ?? []
        let imported: ImportedModel
        do { imported = try SafeTensorsModel.read(bytes: bytes, configOverrides: overrides) } catch {
            throw CommandFailure(message: "\(file): \(error.description) Nothing was imported.", code: 1)
        }
        let config = imported.config
        let directory = config.data.directory
        let dataset: PreparedDataset
        do { dataset = try PreparedDataset(directory: directory) } catch {
            let hint = data == nil ? " The file's config names data.dir \(directory); pass --data DIR with the dataset prepared on this machine." : ""
            throw CommandFailure(message: "\(error.description)\(hint)", code: 1)
        }
        // Compared as tokenizers (each written back in Descent's canonical form), so that a file
        // whose writer re-formatted the JSON still matches; the run keeps the dataset's bytes.
        let datasetTokenizer = try attempt { try dataset.tokenizer.jsonData() }
        let fileTokenizer = try attempt { try imported.tokenizer.jsonData() }
        guard datasetTokenizer == fileTokenizer else {
            throw CommandFailure(message: """
                the dataset in \(directory) was prepared with another tokenizer than the file's \
                (vocabulary \(dataset.tokenizer.vocabularySize) against \(imported.tokenizer.vocabularySize)\
                \(dataset.tokenizer.vocabularySize == imported.tokenizer.vocabularySize ? ", different tokens" : "")). \
                Pass --data with the dataset the model was trained on. Nothing was imported.
                """, code: 1)
        }
        let store = try attempt { try RunStore(path: storeOptions.db) }
        if try attempt({ try store.run(named: runName) }) != nil && !overwrite {
            throw CommandFailure(message: StoreError.runExists(name: runName).description, code: 1)
        }
        try MemoryBudget.current().check(imported.model.architecture, purpose: .training(
            batchSize: config.training.batchSize, momentBuffers: MemoryEstimate.momentBuffers(config.optimizerSettings)))
        let trainer = try attempt { try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule) }
        guard trainer.model.layout == imported.model.layout else {
            throw CommandFailure(message: "\(file): its architecture does not build the model the dataset's vocabulary gives. Nothing was imported.", code: 1)
        }
        imported.model.parameters.withUnsafeBytes { trainer.model.parameters.assign(bytes: $0) }
        let valLoss = try attempt { try trainer.validationLoss() }
        let payload = trainer.checkpointPayload(.imported, valLoss: valLoss)

        if overwrite { try attempt { try store.deleteRun(named: runName) } }
        let record = try attempt {
            try store.createRun(NewRun(name: runName, model: config.model.type.rawValue, parameterCount: trainer.model.parameterCount,
                                       configJSON: config.json(), dataDirectory: directory, maxSteps: config.training.maxSteps))
        }
        let metrics = valLoss.map { [MetricSample(step: 0, name: .valLoss, value: $0)] } ?? []
        _ = try attempt { try store.saveCheckpoint(runID: record.id, payload, pendingMetrics: metrics, keepLatest: config.training.keepCheckpoints) }
        let source = [imported.sourceRun.map { "run '\($0)'" }, imported.sourceStep.map { "step \($0)" }].compactMap { $0 }
        let origin = source.isEmpty ? "" : " (\(source.joined(separator: ", ")))"
        try attempt { try store.updateStatus(runID: record.id, .completed, detail: "imported from \(file)\(origin)") }
        let loss = valLoss.map { String(format: ", val loss %.4f", $0) } ?? ""
        print("imported \(file)\(origin) as run '\(runName)': \(config.model.type.rawValue)\(TrainCommand.shape(trainer.model.architecture)), \(trainer.model.parameterCount) parameters\(loss). Sample it: descent sample \(runName)")
    }
}
