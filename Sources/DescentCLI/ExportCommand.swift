// `descent export`: a run's checkpoint as a safetensors file named as the PyTorch twin names it.

import ArgumentParser
import Foundation
import SafeTensors
import Store
import Training

/// The file formats `export` writes.
enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    case safetensors
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's checkpoint as a safetensors file for PyTorch (interop/torch).",
        discussion: HelpText.paragraphs("""
            Tensors are named and shaped as the PyTorch twin's modules name them: \
            embedding.weight [V, d], hidden.{i}.weight [H, in] and output.weight [V, H] in \
            PyTorch's (out, in) layout (the transpose of Descent's), their biases, or the \
            bigram's table.weight [V, V]; all F32. The run's config, the architecture and the \
            tokenizer go in the file's __metadata__, so `descent import` rebuilds the run from the \
            file alone. The same weights always give the same bytes.
            """)
            + "\n\n" + """
            Examples:
              descent export names-mlp -o names-mlp.safetensors
              descent export names-mlp --checkpoint best --format safetensors \\
                  -o best.safetensors
            """
    )

    @Argument(help: ArgumentHelp("The run to export.", valueName: "run"))
    var runName: String

    @OptionGroup var which: CheckpointOption

    @Option(name: .long, help: ArgumentHelp("The file format (only 'safetensors').", valueName: "format"))
    var format: ExportFormat = .safetensors

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The file to write, e.g. model.safetensors.", valueName: "path"))
    var output: String

    @Flag(name: .long, help: "Replace the output file if it exists.")
    var overwrite = false

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if output.isEmpty { throw ValidationError("-o needs a file path, e.g. -o model.safetensors.") }
    }

    func run() throws {
        try OutputFile.refuseToReplace(output, overwrite: overwrite)
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let (loaded, record) = try which.load(runName: runName, store: store)
        let model = try attempt { try loaded.makeModel() }
        let config = try attempt { try TrainingConfig.stored(json: loaded.configJSON, runName: runName) }
        let file = SafeTensorsModel.file(model: model, config: config, tokenizerJSON: loaded.tokenizerJSON,
                                         runName: runName, step: record.step)
        let bytes = file.encoded()
        try OutputFile.write(bytes, to: output)
        print("exported run '\(runName)' step \(record.step) (\(model.architecture.type.rawValue), \(model.parameterCount) parameters in \(file.tensors.count) tensors) to \(output), \(bytes.count) bytes. Import it back with: descent import \(output) --run NAME")
    }
}

/// Files the CLI writes for other programs: never replaced without --overwrite, written whole
/// or not at all.
enum OutputFile {
    static func refuseToReplace(_ path: String, overwrite: Bool) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue { throw CommandFailure(message: "\(path) is a directory; give a file path.", code: 1) }
        if !overwrite { throw CommandFailure(message: "\(path) already exists. Pass --overwrite to replace it, or choose another path.", code: 1) }
    }

    /// Writes through a temporary file beside `path`, then renames it over `path`.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do { try Data(bytes).write(to: url, options: .atomic) } catch {
            throw CommandFailure(message: "cannot write \(path): \(error.localizedDescription)", code: 1)
        }
    }
}
