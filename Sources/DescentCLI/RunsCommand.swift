// `descent runs`: the runs in the database, as a table or JSON.

import ArgumentParser
import Foundation
import Store

/// `runs --sort`: the order of the list.
enum RunOrder: String, ExpressibleByArgument, CaseIterable {
    /// Oldest first, as the runs were created.
    case created
    case name
    /// Lowest best validation loss first; runs without one last.
    case bestVal = "best-val"
    /// Most recently updated first.
    case updated
    /// Most steps first.
    case step
}

/// `runs --status`: the statuses `runs` shows, `crashed` included.
enum DisplayedStatus: String, ExpressibleByArgument, CaseIterable {
    case running, completed, interrupted, diverged, failed, crashed
}

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs with their progress and losses.",
        discussion: HelpText.paragraphs("""
            Status is running, completed, interrupted (Ctrl-C or --stop-at), diverged, failed, or \
            crashed: marked running but its process is gone (killed or crashed); resume it from \
            its latest checkpoint. --json prints full-precision losses and the SHA-256 of the \
            latest checkpoint's weights, so scripts can check reproducibility.
            """)
    )

    @Flag(name: .long, help: "Print a JSON array of objects instead of a table.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("""
        Order: created (oldest first), name, best-val (lowest best validation loss first), \
        updated (newest first), step (most first).
        """, valueName: "order"))
    var sort: RunOrder = .created

    @Option(name: .long, help: ArgumentHelp("Only runs with this status (repeatable).",
                                            valueName: "status"))
    var status: [DisplayedStatus] = []

    @OptionGroup var storeOptions: StoreOptions

    struct Entry: Encodable {
        let name: String
        let model: String
        let parameters: Int
        let step: Int
        let maxSteps: Int
        let lastTrainLoss: Double?
        let lastValLoss: Double?
        let bestValLoss: Double?
        let status: String
        let statusDetail: String?
        let weightsSHA256: String?
        let checkpoints: Int
        let latestCheckpointStep: Int?
        let dataDirectory: String
        let parentRun: String?
        let createdAt: String
        let updatedAt: String

        enum CodingKeys: String, CodingKey {
            case name, model, parameters, step, maxSteps, lastTrainLoss, lastValLoss, bestValLoss, status, statusDetail
            case weightsSHA256, checkpoints, latestCheckpointStep, dataDirectory, parentRun, createdAt, updatedAt
        }

        // Explicit nulls: scripts can rely on every key being present.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(model, forKey: .model)
            try c.encode(parameters, forKey: .parameters)
            try c.encode(step, forKey: .step)
            try c.encode(maxSteps, forKey: .maxSteps)
            try c.encode(lastTrainLoss, forKey: .lastTrainLoss)
            try c.encode(lastValLoss, forKey: .lastValLoss)
            try c.encode(bestValLoss, forKey: .bestValLoss)
            try c.encode(status, forKey: .status)
            try c.encode(statusDetail, forKey: .statusDetail)
            try c.encode(weightsSHA256, forKey: .weightsSHA256)
            try c.encode(checkpoints, forKey: .checkpoints)
            try c.encode(latestCheckpointStep, forKey: .latestCheckpointStep)
            try c.encode(dataDirectory, forKey: .dataDirectory)
            try c.encode(parentRun, forKey: .parentRun)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(updatedAt, forKey: .updatedAt)
        }
    }

    /// `running` only while the owning process lives; otherwise it crashed or was killed.
    static func displayStatus(_ run: RunRecord) -> String {
        if run.status == .running {
            guard let pid = run.processID, kill(pid_t(pid), 0) == 0 || errno == EPERM else { return "crashed" }
        }
        return run.status.rawValue
    }

    func run() throws {
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let wanted = Set(status.map(\.rawValue))
        let summaries = Self.sorted(try attempt { try store.summaries() }, by: sort)
            .filter { wanted.isEmpty || wanted.contains(Self.displayStatus($0.run)) }
        let timestamp = ISO8601DateFormatter()
        let entries = summaries.map { s in
            Entry(name: s.run.name, model: s.run.model, parameters: s.run.parameterCount, step: s.run.step, maxSteps: s.run.maxSteps,
                  lastTrainLoss: s.lastTrainLoss, lastValLoss: s.lastValLoss, bestValLoss: s.bestValLoss,
                  status: Self.displayStatus(s.run), statusDetail: s.run.statusDetail, weightsSHA256: s.weightsSHA256,
                  checkpoints: s.checkpointCount, latestCheckpointStep: s.latestCheckpointStep, dataDirectory: s.run.dataDirectory,
                  parentRun: s.run.parentRun, createdAt: timestamp.string(from: s.run.createdAt), updatedAt: timestamp.string(from: s.run.updatedAt))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
            return
        }
        guard !entries.isEmpty else {
            if wanted.isEmpty {
                print("No runs in \(storeOptions.db). Start one with `descent train CONFIG`.")
            } else {
                print("No runs in \(storeOptions.db) with status \(status.map(\.rawValue).joined(separator: " or ")).")
            }
            return
        }
        let local = DateFormatter()
        local.dateFormat = "yyyy-MM-dd HH:mm"
        let header = ["NAME", "MODEL", "PARAMS", "STEP", "TRAIN", "VAL", "BEST VAL", "STATUS", "UPDATED"]
        let rows = zip(entries, summaries).map { entry, summary in
            [entry.name, entry.model, String(entry.parameters), "\(entry.step)/\(entry.maxSteps)",
             Self.loss(entry.lastTrainLoss), Self.loss(entry.lastValLoss), Self.loss(entry.bestValLoss), entry.status,
             local.string(from: summary.run.updatedAt)]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
    }

    /// Stable: runs that tie keep their creation order.
    static func sorted(_ summaries: [RunSummary], by order: RunOrder) -> [RunSummary] {
        let indexed = Array(summaries.enumerated())
        let ordered: [(offset: Int, element: RunSummary)]
        switch order {
        case .created:
            return summaries
        case .name:
            ordered = indexed.sorted { ($0.element.run.name, $0.offset) < ($1.element.run.name, $1.offset) }
        case .bestVal:
            ordered = indexed.sorted { ($0.element.bestValLoss ?? .infinity, $0.offset) < ($1.element.bestValLoss ?? .infinity, $1.offset) }
        case .updated:
            ordered = indexed.sorted { ($1.element.run.updatedAt, $0.offset) < ($0.element.run.updatedAt, $1.offset) }
        case .step:
            ordered = indexed.sorted { ($1.element.run.step, $0.offset) < ($0.element.run.step, $1.offset) }
        }
        return ordered.map(\.element)
    }

    static func loss(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }
}
