// `descent show`: everything about one run on one screen: status, lineage, config, checkpoints
// with their checksums, and the command that continues it.

import ArgumentParser
import Foundation
import Store
import Training

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one run: status, lineage, config, checkpoints and how to resume it.",
        discussion: HelpText.paragraphs("""
            Each checkpoint is listed with its step, why it was written, its losses, its size and \
            whether its stored checksums match its bytes (verified), do not (damaged), or were \
            written by a version before checksums (unverified). `descent verify` checks more: \
            every part decoded and cross-checked, the database and the dataset's shards.
            """)
            + "\n\n" + """
            Examples:
              descent show names-mlp
              descent show shakespeare --db runs/experiments.db
            """
    )

    @Argument(help: ArgumentHelp("The run to show.", valueName: "run"))
    var runName: String

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let run = try attempt { try store.requireRun(named: runName) }
        let status = RunsCommand.displayStatus(run)
        let detail = run.statusDetail.map { " (\($0))" } ?? ""
        let local = DateFormatter()
        local.dateFormat = "yyyy-MM-dd HH:mm:ss"
        print("run '\(run.name)': \(run.model), \(ReportCommand.grouped(run.parameterCount)) parameters")
        print("  status   \(status)\(detail), step \(run.step) of \(run.maxSteps)")
        print("  created  \(local.string(from: run.createdAt)), updated \(local.string(from: run.updatedAt))")
        print("  data     \(run.dataDirectory)")
        if let parent = run.parentRun {
            print("  lineage  fine-tuned from '\(parent)'\(run.parentStep.map { " at step \($0)" } ?? "") (--init-from)")
        } else {
            print("  lineage  trained from scratch")
        }

        print("\nconfig:")
        print(Self.prettyJSON(run.configJSON).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))

        let checkpoints = try attempt { try store.checkpoints(runID: run.id) }
        let sizes = try attempt { try store.checkpointSizes(runID: run.id) }
        print("\ncheckpoints:")
        if checkpoints.isEmpty {
            print("  none yet")
        } else {
            let header = ["STEP", "REASON", "TRAIN", "VAL", "SIZE", "CHECKSUMS"]
            var rows: [[String]] = []
            for checkpoint in checkpoints {
                let reports = try attempt { try store.blobReports(of: checkpoint) }
                rows.append([String(checkpoint.step), checkpoint.reason.rawValue, RunsCommand.loss(checkpoint.trainLoss),
                             RunsCommand.loss(checkpoint.valLoss), MemoryBudget.format(bytes: sizes[checkpoint.id] ?? 0),
                             Self.checksumSummary(reports)])
            }
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for row in [header] + rows {
                print("  " + row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
        }
        print("\nnext:")
        print("  " + Self.nextCommand(run, status: status, latestStep: checkpoints.last?.step))
    }

    static func checksumSummary(_ reports: [RunStore.BlobReport]) -> String {
        let damaged = reports.filter { if case .mismatch = $0.check { return true } else { return false } }.map(\.name)
        if !damaged.isEmpty { return "DAMAGED (\(damaged.joined(separator: ", ")))" }
        if reports.contains(where: { $0.check == .unverified }) { return "unverified (no checksums stored)" }
        return "verified"
    }

    static func nextCommand(_ run: RunRecord, status: String, latestStep: Int?) -> String {
        guard latestStep != nil else { return "no checkpoint to resume from; train it again: descent train CONFIG --run \(run.name) --overwrite" }
        switch status {
        case "running": return "being trained by process \(run.processID.map(String.init) ?? "?"); watch it with `descent runs`"
        case "completed": return "descent train --resume \(run.name) --set training.maxSteps=\(run.maxSteps * 2)   (to train further)"
        default: return "descent train --resume \(run.name)"
        }
    }

    static func prettyJSON(_ text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return text }
        return String(decoding: data, as: UTF8.self)
    }
}
