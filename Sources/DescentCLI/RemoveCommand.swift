// `descent rm`: delete a run with its metrics, samples and checkpoints, and give the space back.

import ArgumentParser
import Foundation
import Store

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete a run and free the space its checkpoints took.",
        discussion: HelpText.paragraphs("""
            Asks for confirmation on a terminal; --yes deletes without asking (scripts must pass \
            it). Runs fine-tuned from the deleted one keep their own checkpoints; only their \
            lineage then names a run that is gone. A run being trained is not deleted.
            """)
            + "\n\n" + """
            Examples:
              descent rm names-bigram
              descent rm old-sweep-3 --yes --db runs/sweeps.db
            """
    )

    @Argument(help: ArgumentHelp("The run to delete.", valueName: "run"))
    var runName: String

    @Flag(name: .long, help: "Delete without asking.")
    var yes = false

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let run = try attempt { try store.requireRun(named: runName) }
        if RunsCommand.displayStatus(run) == "running", let pid = run.processID, pid != Int(getpid()) {
            throw CommandFailure(message: "run '\(run.name)' is being trained by process \(pid). Stop it first (Ctrl-C or `kill \(pid)`), then delete it.", code: 1)
        }
        let checkpoints = try attempt { try store.checkpoints(runID: run.id) }
        let bytes = try attempt { try store.checkpointSizes(runID: run.id) }.values.reduce(0, +)
        let what = "run '\(run.name)' (\(run.model), step \(run.step), \(checkpoints.count) checkpoint\(checkpoints.count == 1 ? "" : "s"), \(MemoryBudget.format(bytes: bytes)))"
        if !yes {
            guard isatty(STDIN_FILENO) != 0 else {
                throw CommandFailure(message: "not deleting \(what) without confirmation: pass --yes (standard input is not a terminal).", code: 1)
            }
            Console.progress("Delete \(what)? [y/N] ")
            let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            guard answer == "y" || answer == "yes" else {
                print("Kept run '\(run.name)'.")
                return
            }
        }
        let before = store.fileBytes()
        try attempt { try store.deleteRun(named: run.name) }
        try attempt { try store.reclaimSpace() }
        let after = store.fileBytes()
        print("Deleted \(what). The database went from \(MemoryBudget.format(bytes: before)) to \(MemoryBudget.format(bytes: after)).")
    }
}
