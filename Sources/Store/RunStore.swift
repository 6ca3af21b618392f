// The Descent database: runs, their metrics, text sampled during training, and checkpoints as
// named blobs.
//
// The store knows nothing of models: a checkpoint is a step, a few typed fields and a set of
// named byte blobs that the trainer writes and reads back. Every checkpoint is written in one
// transaction together with the metrics logged since the last flush and the run's new step, so
// after a crash the database holds either all of a checkpoint or none of it.

import Core
import CSQLite
import Foundation
import RunRecords

public enum RunStatus: String, Sendable, CaseIterable {
    case running, completed, interrupted, diverged, failed
}

public struct RunRecord: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let model: String
    public let parameterCount: Int
    public let configJSON: String
    public let dataDirectory: String
    public let status: RunStatus
    public let statusDetail: String?
    public let step: Int
    public let maxSteps: Int
    public let createdAt: Date
    public let updatedAt: Date
    public let parentRun: String?
    public let parentStep: Int?
    public let processID: Int?
}

public struct NewRun: Sendable {
    public var name: String
    public var model: String
    public var parameterCount: Int
    public var configJSON: String
    public var dataDirectory: String
    public var maxSteps: Int
    public var parentRun: String?
    public var parentStep: Int?

    public init(name: String, model: String, parameterCount: Int, configJSON: String, dataDirectory: String,
                maxSteps: Int, parentRun: String? = nil, parentStep: Int? = nil) {
        self.name = name
        self.model = model
        self.parameterCount = parameterCount
        self.configJSON = configJSON
        self.dataDirectory = dataDirectory
        self.maxSteps = maxSteps
        self.parentRun = parentRun
        self.parentStep = parentStep
    }
}

public struct CheckpointRecord: Sendable, Equatable {
    public let id: Int64
    public let runID: Int64
    public let step: Int
    public let createdAt: Date
    public let trainLoss: Double?
    public let valLoss: Double?
    public let weightsSHA256: String
    public let reason: CheckpointReason
}

public enum CheckpointSelector: Sendable, Equatable, CustomStringConvertible {
    case latest, best
    case step(Int)

    public var description: String {
        switch self {
        case .latest: "latest"
        case .best: "best"
        case .step(let step): "step \(step)"
        }
    }
}

/// One row of `descent runs`.
public struct RunSummary: Sendable {
    public let run: RunRecord
    public let lastTrainLoss: Double?
    public let lastValLoss: Double?
    public let bestValLoss: Double?
    public let latestCheckpointStep: Int?
    public let weightsSHA256: String?
    public let checkpointCount: Int
}

public final class RunStore {
    public let connection: SQLiteConnection

    /// The schema, as append-only migrations: never edit one that has shipped; add another.
    static let migrations: [String] = [
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            model TEXT NOT NULL,
            parameter_count INTEGER NOT NULL,
            config_json TEXT NOT NULL,
            data_dir TEXT NOT NULL,
            status TEXT NOT NULL,
            status_detail TEXT,
            step INTEGER NOT NULL DEFAULT 0,
            max_steps INTEGER NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            parent_run TEXT,
            parent_step INTEGER,
            pid INTEGER
        );
        CREATE TABLE metrics (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            step INTEGER NOT NULL,
            value REAL,
            PRIMARY KEY (run_id, name, step)
        ) WITHOUT ROWID;
        CREATE TABLE checkpoints (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            created_at REAL NOT NULL,
            train_loss REAL,
            val_loss REAL,
            weights_sha256 TEXT NOT NULL,
            reason TEXT NOT NULL,
            UNIQUE (run_id, step)
        );
        CREATE TABLE checkpoint_blobs (
            checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (checkpoint_id, name)
        ) WITHOUT ROWID;
        """,
        // 2: text generated during training (training.sampleInterval).
        """
        CREATE TABLE samples (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            sample_index INTEGER NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (run_id, step, sample_index)
        ) WITHOUT ROWID;
        """,
        // 3: every checkpoint blob's SHA-256 (hex), verified whenever the blob is read. NULL for
        // blobs written before this migration: they read as unverified.
        """
        ALTER TABLE checkpoint_blobs ADD COLUMN sha256 TEXT;
        """,
    ]

    public static var schemaVersion: Int { migrations.count }

    /// Whether opening may create the database.
    public enum Access: Sendable {
        /// Create the file (and its directory) if it is missing: verbs that write runs.
        case createIfMissing
        /// The file must exist: verbs that only read never leave an empty database behind a typo.
        case existing
    }

    /// Opens the database at `path` and migrates it; `access` says whether a missing file is
    /// created or refused.
    public init(path: String, access: Access = .createIfMissing) throws(StoreError) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue { throw .notADatabase(path: path, reason: "it is a directory") }
        switch access {
        case .existing:
            guard exists else { throw .databaseNotFound(path: path) }
        case .createIfMissing:
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                } catch {
                    throw .cannotCreateDirectory(path: directory, reason: "\(error.localizedDescription)")
                }
            }
        }
        do {
            connection = try SQLiteConnection(path: path, mayCreate: access == .createIfMissing)
            try migrate()
        } catch {
            throw Self.explainOpenFailure(error, path: path)
        }
    }

    /// SQLite's "file is not a database" and "database disk image is malformed" as one sentence.
    private static func explainOpenFailure(_ error: StoreError, path: String) -> StoreError {
        guard case .sqlite(let code, _, let message, _) = error,
              [SQLITE_NOTADB, SQLITE_CORRUPT].contains(code & 0xff) else { return error }
        return .notADatabase(path: path, reason: message)
    }

    private func migrate() throws(StoreError) {
        let version = try connection.query("PRAGMA user_version").first?.first?.int ?? 0
        if version > Self.migrations.count {
            throw .schemaTooNew(path: connection.path, found: version, supported: Self.migrations.count)
        }
        guard version < Self.migrations.count else { return }
        if version == 0 {
            // An SQLite file of another program: never add Descent's tables to it.
            let tables = try connection.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .compactMap { $0.first?.string }
            if !tables.isEmpty {
                throw .notADatabase(path: connection.path, reason: "an SQLite database of another program (tables \(tables.prefix(3).joined(separator: ", ")))")
            }
        }
        try connection.transaction { () throws(StoreError) in
            for index in version..<Self.migrations.count {
                try connection.execute(Self.migrations[index])
            }
            try connection.execute("PRAGMA user_version = \(Self.migrations.count)")
        }
    }

    /// The database's size on disk in bytes (main file plus write-ahead log).
    public func fileBytes() -> Int {
        [connection.path, connection.path + "-wal"].reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
        }
    }

    /// Returns free pages to the file system: after deleting a run, so that `rm` frees the space.
    /// Databases created by this version use incremental auto-vacuum; older ones are vacuumed whole.
    public func reclaimSpace() throws(StoreError) {
        let mode = try connection.query("PRAGMA auto_vacuum").first?.first?.int ?? 0
        if mode == 2 {
            try connection.query("PRAGMA incremental_vacuum")
        } else {
            try connection.execute("VACUUM")
        }
        try connection.query("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// `PRAGMA integrity_check`: empty when the database is sound, otherwise SQLite's findings.
    /// Damage can also stop the check itself (SQLITE_CORRUPT before it yields a row); that is a
    /// finding too, not a failure to check.
    public func integrityProblems() throws(StoreError) -> [String] {
        let rows: [String]
        do {
            rows = try connection.query("PRAGMA integrity_check").compactMap { $0.first?.string }
        } catch let error where error.isDamage {
            guard case let .sqlite(_, _, message, _) = error else { throw error }
            return ["the check stopped at damage it could not read past: \(message)"]
        }
        return rows == ["ok"] ? [] : rows
    }

    // MARK: Runs

    public static func validate(runName name: String) throws(StoreError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard (1...64).contains(name.count), name.allSatisfy(allowed.contains),
              let first = name.first, first.isLetter || first.isNumber else {
            throw .invalidRunName(name: name)
        }
    }

    private static let runColumns = """
        id, name, model, parameter_count, config_json, data_dir, status, status_detail, step, max_steps,
        created_at, updated_at, parent_run, parent_step, pid
        """

    private static func runRecord(_ row: [SQLValue]) -> RunRecord {
        RunRecord(id: Int64(row[0].int ?? 0), name: row[1].string ?? "", model: row[2].string ?? "",
                  parameterCount: row[3].int ?? 0, configJSON: row[4].string ?? "{}", dataDirectory: row[5].string ?? "",
                  status: RunStatus(rawValue: row[6].string ?? "") ?? .failed, statusDetail: row[7].string,
                  step: row[8].int ?? 0, maxSteps: row[9].int ?? 0,
                  createdAt: Date(timeIntervalSince1970: row[10].double ?? 0),
                  updatedAt: Date(timeIntervalSince1970: row[11].double ?? 0),
                  parentRun: row[12].string, parentStep: row[13].int, processID: row[14].int)
    }

    public func run(named name: String) throws(StoreError) -> RunRecord? {
        try connection.query("SELECT \(Self.runColumns) FROM runs WHERE name = ?", [.text(name)]).first.map(Self.runRecord)
    }

    public func requireRun(named name: String) throws(StoreError) -> RunRecord {
        guard let run = try run(named: name) else { throw .runNotFound(name: name) }
        return run
    }

    public func runs() throws(StoreError) -> [RunRecord] {
        try connection.query("SELECT \(Self.runColumns) FROM runs ORDER BY created_at, id").map(Self.runRecord)
    }

    /// Creates a run in status `running`. Throws `runExists` if the name is taken.
    @discardableResult
    public func createRun(_ new: NewRun) throws(StoreError) -> RunRecord {
        try Self.validate(runName: new.name)
        let now = Date().timeIntervalSince1970
        return try connection.transaction { () throws(StoreError) -> RunRecord in
            if try run(named: new.name) != nil { throw StoreError.runExists(name: new.name) }
            try connection.query("""
                INSERT INTO runs (name, model, parameter_count, config_json, data_dir, status, step, max_steps,
                                  created_at, updated_at, parent_run, parent_step, pid)
                VALUES (?, ?, ?, ?, ?, 'running', 0, ?, ?, ?, ?, ?, ?)
                """, [.text(new.name), .text(new.model), .integer(Int64(new.parameterCount)), .text(new.configJSON),
                      .text(new.dataDirectory), .integer(Int64(new.maxSteps)), .real(now), .real(now),
                      new.parentRun.map { .text($0) } ?? .null, new.parentStep.map { .integer(Int64($0)) } ?? .null,
                      .integer(Int64(getpid()))])
            return try requireRun(named: new.name)
        }
    }

    /// Deletes a run with its metrics and checkpoints.
    public func deleteRun(named name: String) throws(StoreError) {
        try connection.query("DELETE FROM runs WHERE name = ?", [.text(name)])
    }

    /// Marks a run as running again (resume), records the new config and owner process, and drops
    /// metrics, samples and checkpoints after the checkpoint it resumes from: they will be written
    /// again (a later checkpoint is there only when the resume fell back past a damaged one).
    public func beginResume(runID: Int64, fromStep step: Int, configJSON: String, maxSteps: Int) throws(StoreError) {
        try connection.transaction { () throws(StoreError) in
            try connection.query("DELETE FROM checkpoints WHERE run_id = ? AND step > ?", [.integer(runID), .integer(Int64(step))])
            try connection.query("DELETE FROM metrics WHERE run_id = ? AND step > ?", [.integer(runID), .integer(Int64(step))])
            try connection.query("DELETE FROM samples WHERE run_id = ? AND step > ?", [.integer(runID), .integer(Int64(step))])
            try connection.query("""
                UPDATE runs SET status = 'running', status_detail = NULL, step = ?, max_steps = ?, config_json = ?,
                                updated_at = ?, pid = ? WHERE id = ?
                """, [.integer(Int64(step)), .integer(Int64(maxSteps)), .text(configJSON),
                      .real(Date().timeIntervalSince1970), .integer(Int64(getpid())), .integer(runID)])
        }
    }

    public func updateStatus(runID: Int64, _ status: RunStatus, detail: String? = nil) throws(StoreError) {
        try connection.query("UPDATE runs SET status = ?, status_detail = ?, updated_at = ? WHERE id = ?",
                             [.text(status.rawValue), detail.map { .text($0) } ?? .null,
                              .real(Date().timeIntervalSince1970), .integer(runID)])
    }

    // MARK: Metrics

    /// Appends metric rows (replacing any at the same run, name and step) in one transaction.
    public func appendMetrics(runID: Int64, _ rows: [MetricSample], runStep: Int? = nil) throws(StoreError) {
        guard !rows.isEmpty || runStep != nil else { return }
        try connection.transaction { () throws(StoreError) in try insertMetrics(runID: runID, rows, runStep: runStep) }
    }

    /// Rows bound by one metrics INSERT: 4 parameters each, under SQLite's lowest limit (999).
    static let metricRowsPerInsert = 200

    private func insertMetrics(runID: Int64, _ rows: [MetricSample], runStep: Int?) throws(StoreError) {
        // Many rows per statement: with foreign keys on, SQLite copies every page an INSERT OR
        // REPLACE touches into a statement journal, once per statement, so one row per statement
        // would copy a 64 KiB page for each metric value.
        var fullChunk: SQLiteStatement?
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + Self.metricRowsPerInsert, rows.count)]
            let insert: SQLiteStatement
            if chunk.count == Self.metricRowsPerInsert, let fullChunk {
                insert = fullChunk
            } else {
                let placeholders = repeatElement("(?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
                insert = try connection.prepare("INSERT OR REPLACE INTO metrics (run_id, name, step, value) VALUES \(placeholders)")
                if chunk.count == Self.metricRowsPerInsert { fullChunk = insert }
            }
            try insert.reset()
            var parameter: Int32 = 1
            for row in chunk {
                try insert.bind(.integer(runID), at: parameter)
                try insert.bind(.text(row.name.rawValue), at: parameter + 1)
                try insert.bind(.integer(Int64(row.step)), at: parameter + 2)
                try insert.bind(.real(row.value), at: parameter + 3)
                parameter += 4
            }
            while try insert.step() {}
            start = chunk.endIndex
        }
        if let runStep {
            try connection.query("UPDATE runs SET step = ?, updated_at = ? WHERE id = ?",
                                 [.integer(Int64(runStep)), .real(Date().timeIntervalSince1970), .integer(runID)])
        }
    }

    /// All values of one metric, by step. Non-finite values were stored as NULL and come back as nil.
    public func metric(runID: Int64, name: MetricName) throws(StoreError) -> [(step: Int, value: Double?)] {
        try connection.query("SELECT step, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step",
                             [.integer(runID), .text(name.rawValue)]).map { ($0[0].int ?? 0, $0[1].double) }
    }

    /// Every stored value of the run, ordered by name then step; `names` (if given) keeps only
    /// those metrics. Non-finite values come back as nil.
    public func metrics(runID: Int64, names: [MetricName]? = nil) throws(StoreError) -> [(name: MetricName, step: Int, value: Double?)] {
        let wanted = names.map(Set.init)
        return try connection.query("SELECT name, step, value FROM metrics WHERE run_id = ? ORDER BY name, step", [.integer(runID)])
            .compactMap { row in
                guard let name = row[0].string.map(MetricName.init(rawValue:)), wanted?.contains(name) ?? true else { return nil }
                return (name, row[1].int ?? 0, row[2].double)
            }
    }

    public func metricNames(runID: Int64) throws(StoreError) -> [MetricName] {
        try connection.query("SELECT DISTINCT name FROM metrics WHERE run_id = ? ORDER BY name", [.integer(runID)])
            .compactMap { $0[0].string.map { MetricName($0) } }
    }

    // MARK: Samples

    /// Stores text generated during training (replacing any at the same step and index).
    public func appendSamples(runID: Int64, _ samples: [TextSample]) throws(StoreError) {
        guard !samples.isEmpty else { return }
        try connection.transaction { () throws(StoreError) in
            let insert = try connection.prepare("INSERT OR REPLACE INTO samples (run_id, step, sample_index, text) VALUES (?, ?, ?, ?)")
            for sample in samples {
                try insert.run([.integer(runID), .integer(Int64(sample.step)), .integer(Int64(sample.index)), .text(sample.text)])
            }
        }
    }

    /// The run's samples by step, then index.
    public func samples(runID: Int64) throws(StoreError) -> [TextSample] {
        try connection.query("SELECT step, sample_index, text FROM samples WHERE run_id = ? ORDER BY step, sample_index",
                             [.integer(runID)]).map { TextSample(step: $0[0].int ?? 0, index: $0[1].int ?? 0, text: $0[2].string ?? "") }
    }

    // MARK: Checkpoints

    /// Writes a checkpoint, the pending metrics and the run's step in one transaction, then drops
    /// all but the newest `keepLatest` checkpoints (and the one with the lowest validation loss).
    @discardableResult
    public func saveCheckpoint(runID: Int64, _ checkpoint: CheckpointPayload, pendingMetrics: [MetricSample],
                               keepLatest: Int) throws(StoreError) -> CheckpointRecord {
        try connection.transaction { () throws(StoreError) -> CheckpointRecord in
            try insertMetrics(runID: runID, pendingMetrics, runStep: checkpoint.step)
            // A checkpoint at the same step (e.g. a run resumed and stopped again) replaces the old one.
            try connection.query("DELETE FROM checkpoints WHERE run_id = ? AND step = ?",
                                 [.integer(runID), .integer(Int64(checkpoint.step))])
            try connection.query("""
                INSERT INTO checkpoints (run_id, step, created_at, train_loss, val_loss, weights_sha256, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [.integer(runID), .integer(Int64(checkpoint.step)), .real(Date().timeIntervalSince1970),
                      checkpoint.trainLoss.map { .real($0) } ?? .null, checkpoint.valLoss.map { .real($0) } ?? .null,
                      .text(checkpoint.weightsSHA256), .text(checkpoint.reason.rawValue)])
            let checkpointID = connection.lastInsertRowID
            let insertBlob = try connection.prepare("INSERT INTO checkpoint_blobs (checkpoint_id, name, data, sha256) VALUES (?, ?, ?, ?)")
            for blob in checkpoint.blobs {
                try insertBlob.reset()
                try insertBlob.bind(.integer(checkpointID), at: 1)
                try insertBlob.bind(.text(blob.name), at: 2)
                try insertBlob.bind(.blob(blob.bytes), at: 3)
                try insertBlob.bind(.text(SHA256.hexDigest(of: blob.bytes)), at: 4)
                while try insertBlob.step() {}
            }
            try prune(runID: runID, keepLatest: keepLatest)
            guard let record = try checkpointRecords(runID: runID, extra: "AND id = ?", [.integer(checkpointID)]).first else {
                throw StoreError.noCheckpoint(run: "#\(runID)")
            }
            return record
        }
    }

    private func prune(runID: Int64, keepLatest: Int) throws(StoreError) {
        guard keepLatest > 0 else { return }
        try connection.query("""
            DELETE FROM checkpoints WHERE run_id = ?1
              AND id NOT IN (SELECT id FROM checkpoints WHERE run_id = ?1 ORDER BY step DESC LIMIT ?2)
              AND id IS NOT (SELECT id FROM checkpoints WHERE run_id = ?1 AND val_loss IS NOT NULL
                             ORDER BY val_loss, step LIMIT 1)
            """, [.integer(runID), .integer(Int64(keepLatest))])
    }

    private func checkpointRecords(runID: Int64, extra: String = "", _ values: [SQLValue] = []) throws(StoreError) -> [CheckpointRecord] {
        try connection.query("""
            SELECT id, run_id, step, created_at, train_loss, val_loss, weights_sha256, reason
            FROM checkpoints WHERE run_id = ? \(extra) ORDER BY step
            """, [.integer(runID)] + values).map { row in
            CheckpointRecord(id: Int64(row[0].int ?? 0), runID: Int64(row[1].int ?? 0), step: row[2].int ?? 0,
                             createdAt: Date(timeIntervalSince1970: row[3].double ?? 0), trainLoss: row[4].double,
                             valLoss: row[5].double, weightsSHA256: row[6].string ?? "",
                             reason: CheckpointReason(rawValue: row[7].string ?? ""))
        }
    }

    public func checkpoints(runID: Int64) throws(StoreError) -> [CheckpointRecord] {
        try checkpointRecords(runID: runID)
    }

    /// The checkpoint `selector` names. `best` is the lowest validation loss among checkpoints
    /// that have one, falling back to the latest when none was evaluated.
    public func checkpoint(run: RunRecord, _ selector: CheckpointSelector) throws(StoreError) -> CheckpointRecord {
        let all = try checkpoints(runID: run.id)
        guard let latest = all.last else { throw .noCheckpoint(run: run.name) }
        switch selector {
        case .latest:
            return latest
        case .best:
            let evaluated = all.filter { $0.valLoss != nil }
            return evaluated.min { ($0.valLoss!, $0.step) < ($1.valLoss!, $1.step) } ?? latest
        case .step(let step):
            guard let match = all.first(where: { $0.step == step }) else {
                throw .checkpointNotFound(run: run.name, step: step, available: all.map(\.step))
            }
            return match
        }
    }

    /// The named blobs of a checkpoint, each checked against the SHA-256 stored beside it: a blob
    /// that fails throws `corruptBlob`. Blobs written before checksums existed pass unchecked.
    public func blobs(of checkpoint: CheckpointRecord) throws(StoreError) -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for row in try connection.query("SELECT name, data, sha256 FROM checkpoint_blobs WHERE checkpoint_id = ? ORDER BY name",
                                        [.integer(checkpoint.id)]) {
            guard let name = row[0].string else { continue }
            result[name] = try Self.verified(row[1].bytes ?? [], against: row[2].string, name: name, of: checkpoint)
        }
        return result
    }

    /// One named blob of a checkpoint (the small `state` part, without reading the weights),
    /// checked like `blobs(of:)`.
    public func blob(_ name: String, of checkpoint: CheckpointRecord) throws(StoreError) -> [UInt8]? {
        guard let row = try connection.query("SELECT data, sha256 FROM checkpoint_blobs WHERE checkpoint_id = ? AND name = ?",
                                             [.integer(checkpoint.id), .text(name)]).first else { return nil }
        return try Self.verified(row[0].bytes ?? [], against: row[1].string, name: name, of: checkpoint)
    }

    /// `bytes`, or `corruptBlob` when they fail the stored checksum.
    private static func verified(_ bytes: [UInt8], against stored: String?, name: String,
                                 of checkpoint: CheckpointRecord) throws(StoreError) -> [UInt8] {
        if case .mismatch(let expected, let found) = check(bytes, against: stored) {
            throw .corruptBlob(step: checkpoint.step, name: name, expected: expected, found: found)
        }
        return bytes
    }

    /// What a blob's checksum says.
    public enum BlobCheck: Sendable, Equatable {
        case verified
        /// Written before checksums were stored.
        case unverified
        case mismatch(expected: String, found: String)
    }

    /// One blob's name, size and checksum result, for `show` and `verify`.
    public struct BlobReport: Sendable, Equatable {
        public let name: String
        public let bytes: Int
        public let check: BlobCheck
    }

    /// Every blob of a checkpoint with its checksum checked, without throwing on a mismatch.
    public func blobReports(of checkpoint: CheckpointRecord) throws(StoreError) -> [BlobReport] {
        try connection.query("SELECT name, data, sha256 FROM checkpoint_blobs WHERE checkpoint_id = ? ORDER BY name",
                             [.integer(checkpoint.id)]).map { row in
            let bytes = row[1].bytes ?? []
            return BlobReport(name: row[0].string ?? "", bytes: bytes.count, check: Self.check(bytes, against: row[2].string))
        }
    }

    /// The bytes each checkpoint of a run stores, by checkpoint id, without reading the blobs.
    public func checkpointSizes(runID: Int64) throws(StoreError) -> [Int64: Int] {
        var sizes: [Int64: Int] = [:]
        for row in try connection.query("""
            SELECT c.id, COALESCE(SUM(length(b.data)), 0) FROM checkpoints c
            LEFT JOIN checkpoint_blobs b ON b.checkpoint_id = c.id WHERE c.run_id = ? GROUP BY c.id
            """, [.integer(runID)]) {
            sizes[Int64(row[0].int ?? 0)] = row[1].int ?? 0
        }
        return sizes
    }

    static func check(_ bytes: [UInt8], against stored: String?) -> BlobCheck {
        guard let stored else { return .unverified }
        let found = SHA256.hexDigest(of: bytes)
        return found == stored ? .verified : .mismatch(expected: stored, found: found)
    }

    // MARK: Summaries

    public func summaries() throws(StoreError) -> [RunSummary] {
        try runs().map { run throws(StoreError) -> RunSummary in
            let lastTrain = try connection.query(
                "SELECT value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step DESC LIMIT 1",
                [.integer(run.id), .text(MetricName.trainLoss.rawValue)]).first?.first?.double
            let lastVal = try connection.query(
                "SELECT value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step DESC LIMIT 1",
                [.integer(run.id), .text(MetricName.valLoss.rawValue)]).first?.first?.double
            let bestVal = try connection.query(
                "SELECT MIN(value) FROM metrics WHERE run_id = ? AND name = ?",
                [.integer(run.id), .text(MetricName.valLoss.rawValue)]).first?.first?.double
            let checkpoints = try checkpoints(runID: run.id)
            return RunSummary(run: run, lastTrainLoss: lastTrain, lastValLoss: lastVal, bestValLoss: bestVal,
                              latestCheckpointStep: checkpoints.last?.step, weightsSHA256: checkpoints.last?.weightsSHA256,
                              checkpointCount: checkpoints.count)
        }
    }
}
