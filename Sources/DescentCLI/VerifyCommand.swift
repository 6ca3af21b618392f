// `descent verify`: check every stored byte a run depends on: the database's own structure, each
// checkpoint's checksums, decoded parts and cross-checks, and the shards of the datasets.

import ArgumentParser
import Data
import Foundation
import Store
import Training

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the database, every checkpoint and the datasets of one run or all.",
        discussion: HelpText.paragraphs("""
            Runs SQLite's integrity check, reads every checkpoint part and checks its SHA-256, \
            decodes the parts and checks them against each other (vocabulary, layout, optimizer \
            moments, steps), then reads every shard of each run's dataset against its manifest \
            and checks that it is still the dataset the run trained on. Prints what it checked \
            and what failed, and exits with code 1 if anything did.
            """)
            + "\n\n" + """
            Examples:
              descent verify
              descent verify names-mlp --skip-data
            """
    )

    @Argument(help: ArgumentHelp("The run to verify (default: every run).", valueName: "run"))
    var runName: String?

    @Flag(name: .customLong("skip-data"), help: "Check the database and checkpoints only, not the datasets' shards.")
    var skipData = false

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        var problems = 0
        let integrity = try attempt { try store.integrityProblems() }
        if integrity.isEmpty {
            print("database \(storeOptions.db): integrity check ok")
        } else {
            problems += integrity.count
            print("database \(storeOptions.db): integrity check FAILED")
            for line in integrity.prefix(10) { print("  \(line)") }
        }
        let runs = try attempt { () throws -> [RunRecord] in
            if let runName { return [try store.requireRun(named: runName)] }
            return try store.runs()
        }
        var checkpointCount = 0
        var datasetResults: [String: String?] = [:]
        for run in runs {
            print("run '\(run.name)'")
            let checkpoints = try attempt { try store.checkpoints(runID: run.id) }
            if checkpoints.isEmpty { print("  no checkpoints") }
            var fingerprint: String?
            for checkpoint in checkpoints {
                checkpointCount += 1
                do {
                    let loaded = try CheckpointChoice.read(checkpoint, store: store, memory: nil)
                    let reports = (try? store.blobReports(of: checkpoint)) ?? []
                    let unverified = reports.contains { $0.check == .unverified } ? ", written before checksums: decoded and cross-checked only" : ""
                    print("  checkpoint \(checkpoint.step): ok (\(reports.count) parts, \(MemoryBudget.format(bytes: reports.map(\.bytes).reduce(0, +)))\(unverified))")
                    fingerprint = loaded.state.loader.datasetFingerprint
                } catch let damage as CheckpointChoice.CheckpointDamage {
                    problems += 1
                    print("  checkpoint \(checkpoint.step): DAMAGED: \(damage.reason)")
                }
            }
            guard !skipData else { continue }
            let directory = run.dataDirectory
            if datasetResults[directory] == nil {
                datasetResults[directory] = Self.checkDataset(directory)
            }
            if let failure = datasetResults[directory] ?? nil {
                problems += 1
                print("  dataset \(directory): FAILED: \(failure)")
                continue
            }
            if let fingerprint, let dataset = try? PreparedDataset(directory: directory), dataset.fingerprint != fingerprint {
                problems += 1
                print("  dataset \(directory): FAILED: it is not the dataset the run trained on (fingerprint \(dataset.fingerprint.prefix(12))…, the run's \(fingerprint.prefix(12))…); it was prepared again since")
            } else {
                print("  dataset \(directory): ok (every shard read and checked)")
            }
        }
        let summary = "\(runs.count) run\(runs.count == 1 ? "" : "s"), \(checkpointCount) checkpoint\(checkpointCount == 1 ? "" : "s")" + (skipData ? "" : ", \(datasetResults.count) dataset\(datasetResults.count == 1 ? "" : "s")")
        if problems > 0 {
            throw CommandFailure(message: "verify found \(problems) problem\(problems == 1 ? "" : "s") in \(summary) (listed above).", code: 1)
        }
        print("verified \(summary): no problems")
    }

    /// Nil when every shard reads back as its manifest says, otherwise what failed.
    static func checkDataset(_ directory: String) -> String? {
        do {
            let dataset = try PreparedDataset(directory: directory)
            try dataset.verify()
            return nil
        } catch {
            return error.description
        }
    }
}
