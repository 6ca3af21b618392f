import Core
import Foundation
import RunRecords
import XCTest
@testable import Store

/// Checksums on every stored blob, databases that are not Descent's, and space given back.
final class StoreIntegrityTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("descent-integrity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func makeStore() throws -> (RunStore, RunRecord) {
        let store = try RunStore(path: path("descent.db"))
        let run = try store.createRun(NewRun(name: "r", model: "bigram", parameterCount: 4, configJSON: "{}",
                                             dataDirectory: "data", maxSteps: 100))
        return (store, run)
    }

    func payload(step: Int, weights: [UInt8]) -> CheckpointPayload {
        CheckpointPayload(step: step, trainLoss: 1, valLoss: nil, weightsSHA256: "w", reason: .interval,
                          blobs: [("weights", weights), ("state", Array("{\"step\":\(step)}".utf8))])
    }

    func testEveryBlobIsStoredWithItsSHA256AndCheckedOnRead() throws {
        let (store, run) = try makeStore()
        let record = try store.saveCheckpoint(runID: run.id, payload(step: 5, weights: [1, 2, 3, 4]), pendingMetrics: [], keepLatest: 0)
        let stored = try store.connection.query("SELECT name, sha256 FROM checkpoint_blobs ORDER BY name").map { $0[1].string }
        XCTAssertEqual(stored, [SHA256.hexDigest(of: Array("{\"step\":5}".utf8)), SHA256.hexDigest(of: [UInt8]([1, 2, 3, 4]))])
        XCTAssertEqual(try store.blobs(of: record)["weights"], [1, 2, 3, 4])
        XCTAssertEqual(try store.blobReports(of: record).map(\.check), [.verified, .verified])

        // One flipped byte, as `UPDATE checkpoint_blobs` by hand or a bad disk would leave it.
        try store.connection.execute("UPDATE checkpoint_blobs SET data = x'01020304ff' WHERE name = 'weights'")
        XCTAssertThrowsError(try store.blobs(of: record)) { error in
            guard case .corruptBlob(step: 5, name: "weights", let expected, let found)? = error as? StoreError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(expected, SHA256.hexDigest(of: [UInt8]([1, 2, 3, 4])))
            XCTAssertEqual(found, SHA256.hexDigest(of: [UInt8]([1, 2, 3, 4, 0xff])))
            XCTAssert("\(error)".contains("the checkpoint at step 5 is damaged: its 'weights' part fails its SHA-256 check"), "\(error)")
        }
        XCTAssertEqual(try store.blobReports(of: record).map(\.check).last,
                       .mismatch(expected: SHA256.hexDigest(of: [UInt8]([1, 2, 3, 4])), found: SHA256.hexDigest(of: [UInt8]([1, 2, 3, 4, 0xff]))))
        XCTAssertEqual(try store.blob("state", of: record), Array("{\"step\":5}".utf8), "the intact part still reads")
        XCTAssertThrowsError(try store.blob("weights", of: record))
    }

    /// Blobs from before checksums (a schema-2 database) read as unverified, not as damaged.
    func testBlobsWithoutAChecksumReadAsUnverified() throws {
        let (store, run) = try makeStore()
        let record = try store.saveCheckpoint(runID: run.id, payload(step: 1, weights: [9]), pendingMetrics: [], keepLatest: 0)
        try store.connection.execute("UPDATE checkpoint_blobs SET sha256 = NULL")
        XCTAssertEqual(try store.blobs(of: record)["weights"], [9])
        XCTAssertEqual(try store.blobReports(of: record).map(\.check), [.unverified, .unverified])
        XCTAssertEqual(try store.checkpointSizes(runID: run.id), [record.id: 1 + "{\"step\":1}".utf8.count])
    }

    func testReadingVerbsNeverCreateADatabase() throws {
        let missing = path("typo/descent.db")
        XCTAssertThrowsError(try RunStore(path: missing, access: .existing)) {
            XCTAssertEqual($0 as? StoreError, .databaseNotFound(path: missing))
            XCTAssertEqual("\($0)", "\(missing): no such database. Pass the --db that `descent train` wrote (default checkpoints/descent.db).")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("typo")))
        _ = try makeStore()
        XCTAssertNoThrow(try RunStore(path: path("descent.db"), access: .existing))
    }

    func testFilesThatAreNotDescentDatabasesAreOneSentence() throws {
        try Data("just some text\n".utf8).write(to: URL(fileURLWithPath: path("text.db")))
        XCTAssertThrowsError(try RunStore(path: path("text.db"))) {
            XCTAssertEqual($0 as? StoreError, .notADatabase(path: path("text.db"), reason: "file is not a database"))
        }
        do {
            let other = try SQLiteConnection(path: path("other.db"))
            try other.execute("CREATE TABLE contacts (name TEXT)")
        }
        XCTAssertThrowsError(try RunStore(path: path("other.db"))) { error in
            XCTAssertEqual("\(error)", "\(path("other.db")): not a Descent database (an SQLite database of another program (tables contacts)). Pass another --db, or restore the file from a backup.")
        }
        let tables = try SQLiteConnection(path: path("other.db")).query("SELECT name FROM sqlite_master WHERE type = 'table'")
        XCTAssertEqual(tables.count, 1, "nothing was added to the other program's database")
        XCTAssertThrowsError(try RunStore(path: directory.path)) {
            XCTAssertEqual($0 as? StoreError, .notADatabase(path: directory.path, reason: "it is a directory"))
        }
    }

    /// A resume that fell back past a damaged checkpoint drops it with everything after its step.
    func testResumeDropsLaterCheckpoints() throws {
        let (store, run) = try makeStore()
        for step in [10, 20, 30] {
            try store.saveCheckpoint(runID: run.id, payload(step: step, weights: [UInt8(step)]), pendingMetrics: [], keepLatest: 0)
        }
        try store.beginResume(runID: run.id, fromStep: 20, configJSON: "{}", maxSteps: 100)
        XCTAssertEqual(try store.checkpoints(runID: run.id).map(\.step), [10, 20])
        XCTAssertEqual(try store.connection.query("SELECT COUNT(*) FROM checkpoint_blobs").first?.first?.int, 4)
    }

    /// Deleting a run and reclaiming gives the file system its pages back.
    func testReclaimingSpaceAfterDeletingARunShrinksTheFile() throws {
        let (store, run) = try makeStore()
        XCTAssertEqual(try store.connection.query("PRAGMA auto_vacuum").first?.first?.int, 2, "incremental")
        var generator = Xoshiro256(seed: 3)
        for step in 1...4 {
            let weights = (0..<1_000_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            try store.saveCheckpoint(runID: run.id, payload(step: step, weights: weights), pendingMetrics: [], keepLatest: 0)
        }
        try store.connection.query("PRAGMA wal_checkpoint(TRUNCATE)")
        let before = store.fileBytes()
        XCTAssertGreaterThan(before, 4_000_000)
        try store.deleteRun(named: "r")
        try store.reclaimSpace()
        XCTAssertLessThan(store.fileBytes(), 1_000_000, "from \(before)")
        XCTAssertEqual(try store.integrityProblems(), [])
    }

    /// A schema-2 database (before checksums) migrates to the current schema; its blobs read back
    /// as unverified, and new checkpoints get checksums.
    func testSchemaTwoMigratesAndItsBlobsReadAsUnverified() throws {
        let path = path("v2.db")
        do {
            let connection = try SQLiteConnection(path: path)
            try connection.execute(RunStore.migrations[0] + RunStore.migrations[1])
            try connection.execute("PRAGMA user_version = 2")
            try connection.execute("""
                INSERT INTO runs (name, model, parameter_count, config_json, data_dir, status, step, max_steps, created_at, updated_at)
                VALUES ('old', 'bigram', 4, '{}', 'data', 'completed', 7, 7, 0, 0);
                INSERT INTO checkpoints (run_id, step, created_at, weights_sha256, reason) VALUES (1, 7, 0, 'w', 'final');
                INSERT INTO checkpoint_blobs (checkpoint_id, name, data) VALUES (1, 'weights', x'01020304');
                """)
        }
        let store = try RunStore(path: path)
        XCTAssertEqual(try store.connection.query("PRAGMA user_version").first?.first?.int, RunStore.schemaVersion)
        let old = try store.requireRun(named: "old")
        let record = try XCTUnwrap(try store.checkpoints(runID: old.id).first)
        XCTAssertEqual(try store.blobReports(of: record).map(\.check), [.unverified])
        XCTAssertEqual(try store.blobs(of: record)["weights"], [1, 2, 3, 4])
        let new = try store.saveCheckpoint(runID: old.id, payload(step: 8, weights: [5]), pendingMetrics: [], keepLatest: 0)
        XCTAssertEqual(try store.blobReports(of: new).map(\.check), [.verified, .verified])
    }
}
