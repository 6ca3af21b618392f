// Choosing the checkpoint a verb reads, and surviving a damaged one.
//
// Every checkpoint read goes through here: its blobs' checksums (the store), its parts decoded
// and checked against each other (`CheckpointCodec.decode`), its stored step against its row, and
// the memory a model of its size needs. `latest` and `best` fall back to the next good checkpoint
// with a warning that names both steps; a step the user named is read as named or refused with
// what is wrong. Not handled: repairing a damaged checkpoint (it is left for `descent verify` to
// report, and a resume drops it with the checkpoints after the one it resumes from).

import Foundation
import Store
import Training

/// A checkpoint read and checked, with the damaged ones passed over on the way.
struct ChosenCheckpoint {
    let loaded: LoadedCheckpoint
    let record: CheckpointRecord
    /// Newer (or, for `best`, better) checkpoints that were damaged, with what is wrong.
    let skipped: [(step: Int, damage: String)]
    let runName: String

    /// The warning for the user when the choice fell back, naming both steps.
    func fallbackWarning(selector: CheckpointSelector, action: String) -> String? {
        guard let first = skipped.first else { return nil }
        let which = selector == .best ? "best" : "latest"
        let others = skipped.dropFirst().map { "step \($0.step)" }
        let also = others.isEmpty ? "" : " (also damaged: \(others.joined(separator: ", ")))"
        return "warning: the \(which) checkpoint, step \(first.step), is damaged (\(first.damage))\(also); \(action) step \(record.step), the \(which == "best" ? "best" : "newest") good one. `descent verify \(runName)` reports every checkpoint."
    }
}

enum CheckpointChoice {
    /// The checkpoint `selector` names in `run`, checked. `latest` and `best` fall back past
    /// damaged ones; `step(n)` does not.
    static func load(run: RunRecord, _ selector: CheckpointSelector, store: RunStore, memory: MemoryBudget? = nil,
                     batchSize: Int = 1) throws -> ChosenCheckpoint {
        let all = try attempt { try store.checkpoints(runID: run.id) }
        guard !all.isEmpty else { throw CommandFailure(message: StoreError.noCheckpoint(run: run.name).description, code: 1) }
        let candidates: [CheckpointRecord]
        switch selector {
        case .latest:
            candidates = all.reversed()
        case .best:
            let evaluated = all.filter { $0.valLoss != nil }.sorted { ($0.valLoss ?? 0, $0.step) < ($1.valLoss ?? 0, $1.step) }
            candidates = evaluated + all.reversed().filter { $0.valLoss == nil }
        case .step(let step):
            guard let match = all.first(where: { $0.step == step }) else {
                throw CommandFailure(message: StoreError.checkpointNotFound(run: run.name, step: step, available: all.map(\.step)).description, code: 1)
            }
            do {
                return ChosenCheckpoint(loaded: try read(match, store: store, memory: memory, batchSize: batchSize), record: match, skipped: [], runName: run.name)
            } catch let damage as CheckpointDamage {
                let others = all.filter { $0.step != step }.map { String($0.step) }
                let hint = others.isEmpty ? "The run has no other checkpoint." : "Other checkpoints: \(others.joined(separator: ", "))."
                throw CommandFailure(message: "run '\(run.name)': the checkpoint at step \(step) is damaged: \(damage.reason). \(hint)", code: 1)
            }
        }
        var skipped: [(step: Int, damage: String)] = []
        for candidate in candidates {
            do {
                return ChosenCheckpoint(loaded: try read(candidate, store: store, memory: memory, batchSize: batchSize), record: candidate, skipped: skipped, runName: run.name)
            } catch let damage as CheckpointDamage {
                skipped.append((candidate.step, damage.reason))
            }
        }
        let list = skipped.map { "step \($0.step): \($0.damage)" }.joined(separator: "; ")
        throw CommandFailure(message: "run '\(run.name)': every checkpoint is damaged (\(list)). `descent verify \(run.name)` reports them; the run must be trained again.", code: 1)
    }

    /// What makes one checkpoint unusable, as a phrase for a sentence.
    struct CheckpointDamage: Error {
        let reason: String
    }

    /// Reads and checks one checkpoint; damage is a `CheckpointDamage`, anything else (the
    /// database failing, the model too big for memory) a `CommandFailure`.
    static func read(_ record: CheckpointRecord, store: RunStore, memory: MemoryBudget?, batchSize: Int = 1) throws -> LoadedCheckpoint {
        let blobs: [String: [UInt8]]
        do { blobs = try store.blobs(of: record) } catch {
            if case .corruptBlob(_, let name, _, _) = error { throw CheckpointDamage(reason: "its '\(name)' part fails its SHA-256 check") }
            if error.isDamage, case .sqlite(_, _, let message, _) = error {
                throw CheckpointDamage(reason: "the database pages holding it are unreadable (SQLite: \(message))")
            }
            throw CommandFailure(message: error.description, code: 1)
        }
        let loaded: LoadedCheckpoint
        do { loaded = try CheckpointCodec.decode(blobs) } catch {
            throw CheckpointDamage(reason: error.damage)
        }
        guard loaded.state.step == record.step else {
            throw CheckpointDamage(reason: "its training state is at step \(loaded.state.step)")
        }
        if let memory { try memory.check(loaded.model.architecture, purpose: .inference(checkpointStep: record.step), batchSize: batchSize) }
        return loaded
    }
}

extension CheckpointError {
    /// What is wrong, as a phrase: "its 'weights' part is unusable (…)".
    var damage: String {
        switch self {
        case .missingPart(let name): return "its '\(name)' part is missing"
        case .badPart(let name, let reason): return "its '\(name)' part is unusable: \(reason)"
        case .inconsistent(let reason): return "its parts disagree: \(reason)"
        }
    }
}
