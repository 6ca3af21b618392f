// `descent train`: start, resume or fine-tune a run; progress on stderr (or JSON on stdout);
// records in SQLite.

import ArgumentParser
import Data
import Foundation
import Kernels
import Models
import Store
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model from a config, or resume a run.",
        discussion: """
            Start a run:     descent train configs/names-bigram.json --run names-bigram
            Override keys:   descent train configs/names-mlp.json \\
                                 --set training.maxSteps=500 \\
                                 --set optimizer.learningRate=0.05
            Pause at a step: descent train configs/names-mlp.json --stop-at 2000
            Resume:          descent train --resume names-mlp \\
                                 [--set training.maxSteps=300000]
            Fine-tune:       descent train configs/other.json --init-from names-mlp
            Check the size:  descent train configs/names-mlp.json --dry-run
            """
            + "\n\n" + HelpText.paragraphs(
                """
                Ctrl-C (or SIGTERM) finishes the current step, writes a checkpoint and exits with \
                code 130; a second Ctrl-C exits at once. Resuming continues bit for bit: a run \
                stopped and resumed ends with the same weights as one that never stopped.
                """,
                "Config keys (JSON sections; `--set section.key=value` overrides any of them):")
            + "\n\n" + TrainCommand.keyTable
    )

    @Argument(help: ArgumentHelp("A training config (JSON), e.g. configs/names-bigram.json. Omit with --resume.", valueName: "config"))
    var config: String?

    @Option(name: .customLong("run"), help: ArgumentHelp("Name of the new run (default: the config file's name).", valueName: "name"))
    var runName: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key, e.g. --set training.maxSteps=500. Repeatable.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .long, help: ArgumentHelp("Continue the named run from its latest checkpoint.", valueName: "name"))
    var resume: String?

    @Option(name: .customLong("init-from"), help: ArgumentHelp("""
        Start from another run's weights (RUN or RUN@STEP; latest checkpoint by default) with a \
        fresh optimizer: fine-tuning. The model keys must match that run's.
        """, valueName: "run[@step]"))
    var initFrom: String?

    @Option(name: .customLong("stop-at"), help: ArgumentHelp("""
        End this session after this many steps with a checkpoint, as Ctrl-C would; the schedule \
        still runs to training.maxSteps, so `--resume` continues exactly.
        """, valueName: "step"))
    var stopAt: Int?

    @Flag(name: .long, help: "Replace an existing run of the same name (its metrics and checkpoints are deleted).")
    var overwrite = false

    @Flag(name: .customLong("dry-run"), help: """
        Print the parameter count, the memory the run needs, the FLOPs per step and the time per \
        step (measured on a few steps when the run fits), then exit without creating a run.
        """)
    var dryRun = false

    @Flag(name: .long, help: "Print only the final summary (with --log-format json, only the end event).")
    var quiet = false

    @Option(name: .customLong("log-format"), help: ArgumentHelp("""
        text: a live progress line on a terminal, a plain line every training.logInterval steps \
        otherwise. json: one JSON object per event on stdout (start, progress, evaluation, \
        checkpoint, samples, note, end), for programs.
        """, valueName: "text|json"))
    var logFormat: LogFormat = .text

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var compute: ComputeOptions

    static var keyTable: String {
        TrainingConfig.keys.map { key in
            let resume = key.fixedOnResume ? "; fixed on resume" : ""
            return "  \(key.path)\n" + HelpText.wrap("\(key.summary) (\(key.allowed); \(key.defaultDescription)\(resume))", indent: "      ")
        }.joined(separator: "\n")
    }

    func validate() throws {
        if resume == nil && config == nil {
            throw ValidationError("give a config (e.g. `descent train configs/names-bigram.json`) or --resume RUN.")
        }
        if resume != nil && config != nil {
            throw ValidationError("give either a config or --resume RUN, not both; use --set to change keys of a resumed run.")
        }
        if resume != nil && (runName != nil || initFrom != nil || overwrite) {
            throw ValidationError("--run, --init-from and --overwrite start a new run; they cannot be combined with --resume.")
        }
        if let stopAt, stopAt < 1 { throw ValidationError("--stop-at must be a step ≥ 1, got \(stopAt).") }
        if dryRun && resume != nil { throw ValidationError("--dry-run checks a new run's config; it cannot be combined with --resume.") }
    }

    func run() throws {
        compute.apply()
        if dryRun { return try dryRunReport() }
        let store = try attempt { try RunStore(path: storeOptions.db) }
        if let resume {
            try resumeRun(named: resume, store: store)
        } else {
            try startRun(store: store)
        }
    }

    private func startRun(store: RunStore) throws {
        guard let configPath = config else { return }
        let config = try attempt { try TrainingConfig.load(path: configPath, overrides: overrides) }
        let name = runName ?? URL(fileURLWithPath: configPath).deletingPathExtension().lastPathComponent
        try attempt { try RunStore.validate(runName: name) }
        if try attempt({ try store.run(named: name) }) != nil && !overwrite {
            throw CommandFailure(message: StoreError.runExists(name: name).description, code: 1)
        }
        let dataset = try attempt { try PreparedDataset(directory: config.data.directory) }
        try checkFits(config: config, vocabularySize: dataset.tokenizer.vocabularySize)
        var parent: (name: String, step: Int)? = nil
        let start: Trainer.Start
        if let initFrom {
            let (loaded, source) = try loadCheckpoint(reference: initFrom, store: store)
            start = .initialize(fromWeights: loaded)
            parent = (source.name, loaded.state.step)
        } else {
            start = .fresh
        }
        let trainer = try attempt { try Trainer(config: config, dataset: dataset, start: start, schedule: config.learningRateSchedule) }
        if overwrite { try attempt { try store.deleteRun(named: name) } }
        let record = try attempt {
            try store.createRun(NewRun(name: name, model: config.model.type.rawValue, parameterCount: trainer.model.parameterCount,
                                       configJSON: config.json(), dataDirectory: config.data.directory, maxSteps: config.training.maxSteps,
                                       parentRun: parent?.name, parentStep: parent?.step))
        }
        let architecture = trainer.model.architecture
        let shape = Self.shape(architecture)
        let printer = ProgressPrinter(format: logFormat, quiet: quiet)
        printer.start(text: "run '\(name)': \(architecture.type.rawValue)\(shape), \(trainer.model.parameterCount) parameters, vocabulary \(architecture.vocabularySize), \(config.training.maxSteps) steps of \(config.training.batchSize), \(config.optimizer.type.rawValue) lr \(config.optimizer.learningRate)",
                      fields: startFields(name: name, trainer: trainer, resumedFrom: nil))
        try train(trainer, runName: name, record: record, store: store, printer: printer)
    }

    private func resumeRun(named name: String, store: RunStore) throws {
        let record = try attempt { try store.requireRun(named: name) }
        if record.status == .running, let pid = record.processID, pid != Int(getpid()), kill(pid_t(pid), 0) == 0 {
            throw CommandFailure(message: "run '\(name)' is being trained by process \(pid). Stop it first (Ctrl-C or `kill \(pid)`), then resume.", code: 1)
        }
        let chosen = try CheckpointChoice.load(run: record, .latest, store: store)
        let loaded = chosen.loaded
        let stored = try attempt { try TrainingConfig.stored(json: loaded.configJSON, runName: name) }
        let config = try attempt { try TrainingConfig.parse(json: Data(loaded.configJSON.utf8), source: "run '\(name)'", overrides: overrides) }
        try attempt { try stored.checkResumable(as: config) }
        if loaded.state.step >= config.training.maxSteps {
            throw CommandFailure(message: "run '\(name)' has already trained \(loaded.state.step) of \(config.training.maxSteps) steps. To train further, raise the limit: `descent train --resume \(name) --set training.maxSteps=\(loaded.state.step * 2)`.", code: 1)
        }
        let dataset = try attempt { try PreparedDataset(directory: config.data.directory) }
        try checkFits(config: config, vocabularySize: dataset.tokenizer.vocabularySize)
        if let warning = chosen.fallbackWarning(selector: .latest, action: "resuming from") { Console.error(warning) }
        let trainer = try attempt { try Trainer(config: config, dataset: dataset, start: .resume(loaded), schedule: config.learningRateSchedule) }
        try attempt { try store.beginResume(runID: record.id, fromStep: loaded.state.step, configJSON: config.json(), maxSteps: config.training.maxSteps) }
        let printer = ProgressPrinter(format: logFormat, quiet: quiet)
        printer.start(text: "resuming run '\(name)' at step \(loaded.state.step) of \(config.training.maxSteps)",
                      fields: startFields(name: name, trainer: trainer, resumedFrom: loaded.state.step))
        try train(trainer, runName: name, record: record, store: store, printer: printer)
    }

    /// RUN or RUN@STEP → that run's checkpoint.
    private func loadCheckpoint(reference: String, store: RunStore) throws -> (LoadedCheckpoint, RunRecord) {
        let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
        let source = try attempt { try store.requireRun(named: parts[0]) }
        var selector = CheckpointSelector.latest
        if parts.count == 2 {
            guard let step = Int(parts[1]) else {
                throw CommandFailure(message: "--init-from \(reference): expected RUN or RUN@STEP.", code: 1)
            }
            selector = .step(step)
        }
        let chosen = try CheckpointChoice.load(run: source, selector, store: store, memory: .current())
        if let warning = chosen.fallbackWarning(selector: selector, action: "initializing from") { Console.error(warning) }
        return (chosen.loaded, source)
    }

    /// `--dry-run`: the figures of the run the config describes; nothing is created. The store
    /// is opened only for --init-from, and only if it exists.
    private func dryRunReport() throws {
        guard let configPath = config else { return }
        let config = try attempt { try TrainingConfig.load(path: configPath, overrides: overrides) }
        let dataset = try attempt { try PreparedDataset(directory: config.data.directory) }
        let architecture = try Self.buildableArchitecture(config, vocabularySize: dataset.tokenizer.vocabularySize)
        let batchSize = config.training.batchSize
        let momentBuffers = MemoryEstimate.momentBuffers(config.optimizerSettings)
        let estimate = MemoryEstimate.training(architecture, batchSize: batchSize, momentBuffers: momentBuffers)
        let budget = MemoryBudget.current()
        let flops = MemoryEstimate.trainingFLOPs(architecture, batchSize: batchSize)
        print("dry run: \(architecture.type.rawValue)\(Self.shape(architecture)), vocabulary \(ReportCommand.grouped(architecture.vocabularySize)), \(config.training.maxSteps) steps of \(batchSize)")
        print("  parameters  \(ReportCommand.grouped(estimate.parameterCount))")
        print("  memory      about \(MemoryBudget.format(bytes: estimate.totalBytes)) (\(MemoryBudget.breakdown(estimate))); \(MemoryBudget.format(bytes: budget.availableBytes)) of \(budget.source)")
        print("  FLOPs/step  \(Self.engineering(flops))FLOP (forward and backward of \(batchSize) examples)")
        try budget.check(architecture, purpose: .training(batchSize: batchSize, momentBuffers: momentBuffers))
        var start = Trainer.Start.fresh
        if let initFrom {
            let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
            start = .initialize(fromWeights: try loadCheckpoint(reference: initFrom, store: store).0)
        }
        let trainer = try attempt { try Trainer(config: config, dataset: dataset, start: start, schedule: config.learningRateSchedule) }
        let seconds = try attempt { try trainer.measureStepSeconds() }
        let rate = seconds > 0 ? String(format: ", %.2f GFLOP/s", flops / seconds / 1e9) : ""
        print("  time/step   \(Self.milliseconds(seconds)) measured here\(rate) with \(Parallel.threadCount) thread\(Parallel.threadCount == 1 ? "" : "s"); about \(Self.duration(seconds * Double(config.training.maxSteps))) for \(config.training.maxSteps) steps, evaluation and checkpoints not counted")
        print("Nothing was created. Drop --dry-run to start the run.")
    }

    static func shape(_ architecture: ModelArchitecture) -> String {
        architecture.type == .mlp
            ? " (context \(architecture.contextLength), embedding \(architecture.embeddingSize), hidden \(architecture.hiddenLayers)×\(architecture.hiddenSize), \(architecture.activation.rawValue))"
            : ""
    }

    /// 2.5e9 → "2.50 G".
    static func engineering(_ value: Double) -> String {
        for (prefix, scale) in [("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)] where value >= scale {
            return String(format: "%.2f %@", value / scale, prefix)
        }
        return String(format: "%.0f ", value)
    }

    static func milliseconds(_ seconds: Double) -> String {
        seconds >= 1 ? String(format: "%.2f s", seconds) : String(format: "%.3f ms", seconds * 1000)
    }

    /// Refuses, in one line, a run whose model would not fit in memory, before anything of its
    /// size is allocated.
    private func checkFits(config: TrainingConfig, vocabularySize: Int) throws {
        let architecture = try Self.buildableArchitecture(config, vocabularySize: vocabularySize)
        try MemoryBudget.current().check(architecture, purpose: .training(batchSize: config.training.batchSize,
                                                                          momentBuffers: MemoryEstimate.momentBuffers(config.optimizerSettings)))
    }

    /// The config's model for `vocabularySize`, or one line saying why it cannot be built.
    private static func buildableArchitecture(_ config: TrainingConfig, vocabularySize: Int) throws -> ModelArchitecture {
        let architecture = config.architecture(vocabularySize: vocabularySize)
        if let problem = architecture.problem {
            throw CommandFailure(message: "this config cannot build a model: \(problem).", code: 1)
        }
        return architecture
    }

    private func startFields(name: String, trainer: Trainer, resumedFrom: Int?) -> [(String, JSONField)] {
        let config = trainer.config
        return [("run", .string(name)), ("model", .string(config.model.type.rawValue)), ("parameters", .int(trainer.model.parameterCount)),
                ("vocabularySize", .int(trainer.model.architecture.vocabularySize)), ("maxSteps", .int(config.training.maxSteps)),
                ("batchSize", .int(config.training.batchSize)), ("optimizer", .string(config.optimizer.type.rawValue)),
                ("learningRate", .number(config.optimizer.learningRate)), ("resumedFrom", resumedFrom.map { .int($0) } ?? .null)]
    }

    private func train(_ trainer: Trainer, runName: String, record: RunRecord, store: RunStore, printer: ProgressPrinter) throws {
        let recorder = StoreRecorder(store: store, runID: record.id)
        Interruption.install()
        defer { Interruption.restoreDefaults() }
        let outcome: TrainingOutcome
        do {
            outcome = try trainer.run(recorder: recorder, stopAt: stopAt, shouldStop: { Interruption.isRequested },
                                      progress: printer.handle)
        } catch {
            printer.end(text: nil, fields: [("outcome", .string("failed")), ("step", .int(trainer.state.step)), ("message", .string("\(error)"))])
            try? store.updateStatus(runID: record.id, .failed, detail: "\(error)")
            let kept = (try? store.checkpoints(runID: record.id))?.last.map {
                " The checkpoints up to step \($0.step) are intact; once fixed, continue with: descent train --resume \(runName)"
            } ?? ""
            throw CommandFailure(message: "\(error)\(kept)", code: 1)
        }
        let state = trainer.state
        func endFields(_ outcome: String, _ step: Int) -> [(String, JSONField)] {
            [("outcome", .string(outcome)), ("step", .int(step)), ("lastValLoss", .optionalNumber(state.lastValLoss)),
             ("bestValLoss", .optionalNumber(state.bestValLoss)), ("elapsedSeconds", .number(state.elapsedSeconds))]
        }
        switch outcome {
        case .completed(let step):
            try attempt { try store.updateStatus(runID: record.id, .completed) }
            let val = state.lastValLoss.map { String(format: "%.4f", $0) } ?? "n/a"
            let best = state.bestValLoss.map { String(format: "%.4f", $0) } ?? "n/a"
            let records = String(format: "%.1f%%", 100 * trainer.recordingSeconds / max(trainer.sessionSeconds, 1e-9))
            printer.end(text: "run '\(runName)' completed \(step) steps in \(Self.duration(state.elapsedSeconds)) (\(records) of it writing metrics and checkpoints): val loss \(val) (best \(best)). Sample it: descent sample \(runName)",
                        fields: endFields("completed", step))
        case .interrupted(let step):
            printer.end(text: nil, fields: endFields("interrupted", step))
            try attempt { try store.updateStatus(runID: record.id, .interrupted, detail: "stopped by signal at step \(step)") }
            throw CommandFailure(message: "interrupted: checkpoint written at step \(step). Resume with: descent train --resume \(runName)", code: 130)
        case .stoppedAt(let step):
            try attempt { try store.updateStatus(runID: record.id, .interrupted, detail: "--stop-at \(step)") }
            printer.end(text: "stopped at step \(step) (--stop-at) with a checkpoint. Continue with: descent train --resume \(runName)",
                        fields: endFields("stopped", step))
        case let .diverged(step, learningRate, quantity, lastCheckpoint):
            printer.end(text: nil, fields: endFields("diverged", step))
            let detail = "non-finite \(quantity) at step \(step), learning rate \(learningRate)"
            try attempt { try store.updateStatus(runID: record.id, .diverged, detail: detail) }
            let kept = lastCheckpoint.map { "The last good checkpoint (step \($0)) is kept." } ?? "No checkpoint was written before it."
            throw CommandFailure(message: "training diverged: \(detail). \(kept) Try a lower optimizer.learningRate (e.g. \(learningRate / 10)) or set optimizer.gradientClipNorm=1.", code: 1)
        }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
                             : String(format: "%d:%02d", total / 60, total % 60)
    }
}
