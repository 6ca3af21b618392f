import Foundation
import RunRecords
import XCTest
@testable import Store

final class RunStoreTests: XCTestCase {
    var directory: URL!
    var store: RunStore!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("descent-store-\(UUID().uuidString)")
        store = try RunStore(path: directory.appendingPathComponent("nested/descent.db").path)
    }

    override func tearDownWithError() throws {
        store = nil
        try? FileManager.default.removeItem(at: directory)
    }

    func makeRun(_ name: String = "r1") throws -> RunRecord {
        try store.createRun(NewRun(name: name, model: "bigram", parameterCount: 729, configJSON: "{}",
                                   dataDirectory: "data/names", maxSteps: 100))
    }

    func checkpoint(step: Int, valLoss: Double?, payload: UInt8 = 1) -> CheckpointPayload {
        CheckpointPayload(step: step, trainLoss: 2.5, valLoss: valLoss, weightsSHA256: "sha\(step)", reason: .interval,
                      blobs: [("weights", [payload, 2, 3]), ("state", Array("{}".utf8)), ("empty", [])])
    }

    func testCreatesDirectoryAndRejectsDuplicateAndBadNames() throws {
        let run = try makeRun()
        XCTAssertEqual(run.status, .running)
        XCTAssertEqual(run.step, 0)
        XCTAssertThrowsError(try makeRun()) { XCTAssertEqual($0 as? StoreError, .runExists(name: "r1")) }
        for bad in ["", "-x", "a b", String(repeating: "a", count: 65), "run/1"] {
            XCTAssertThrowsError(try makeRun(bad), bad) { XCTAssertEqual($0 as? StoreError, .invalidRunName(name: bad)) }
        }
        XCTAssertNil(try store.run(named: "missing"))
        XCTAssertThrowsError(try store.requireRun(named: "missing")) {
            XCTAssertEqual(($0 as? StoreError)?.description, "no run named 'missing'. `descent runs` lists the runs in this database.")
        }
    }

    func testMetricsReplaceAtSameStepAndNonFiniteBecomesNil() throws {
        let run = try makeRun()
        try store.appendMetrics(runID: run.id, [MetricSample(step: 1, name: .trainLoss, value: 3),
                                                MetricSample(step: 2, name: .trainLoss, value: 2)], runStep: 2)
        try store.appendMetrics(runID: run.id, [MetricSample(step: 2, name: .trainLoss, value: 1.5),
                                                MetricSample(step: 3, name: .trainLoss, value: .nan)])
        let values = try store.metric(runID: run.id, name: .trainLoss)
        XCTAssertEqual(values.map(\.step), [1, 2, 3])
        XCTAssertEqual(values.map(\.value), [3, 1.5, nil])
        XCTAssertEqual(try store.requireRun(named: "r1").step, 2)
    }

    /// Rows go in several per statement: two full statements and a partial one, with a value
    /// repeated inside one statement and one across statements (the later write wins).
    func testManyMetricRowsAcrossStatementsKeepEveryValueAndTheLastDuplicate() throws {
        let run = try makeRun()
        let perStatement = RunStore.metricRowsPerInsert
        let count = 2 * perStatement + 7
        var rows = (1...count).flatMap { step in
            [MetricSample(step: step, name: .trainLoss, value: Double(step)),
             MetricSample(step: step, name: .gradientNorm, value: -Double(step))]
        }
        rows.insert(MetricSample(step: 3, name: .trainLoss, value: 30), at: 10)
        rows.append(MetricSample(step: 4, name: .trainLoss, value: 40))
        try store.appendMetrics(runID: run.id, rows, runStep: count)
        let losses = try store.metric(runID: run.id, name: .trainLoss)
        XCTAssertEqual(losses.map(\.step), Array(1...count))
        XCTAssertEqual(losses[2].value, 30)
        XCTAssertEqual(losses[3].value, 40)
        XCTAssertEqual(losses.last?.value, Double(count))
        XCTAssertEqual(try store.metric(runID: run.id, name: .gradientNorm).map(\.value), (1...count).map { -Double($0) })
        XCTAssertEqual(try store.requireRun(named: "r1").step, count)
    }

    func testCheckpointBlobsRoundTripAndSelectors() throws {
        let run = try makeRun()
        try store.saveCheckpoint(runID: run.id, checkpoint(step: 10, valLoss: 2.0), pendingMetrics: [], keepLatest: 0)
        try store.saveCheckpoint(runID: run.id, checkpoint(step: 20, valLoss: 1.5, payload: 9), pendingMetrics: [], keepLatest: 0)
        try store.saveCheckpoint(runID: run.id, checkpoint(step: 30, valLoss: 1.7), pendingMetrics: [], keepLatest: 0)
        let current = try store.requireRun(named: "r1")
        XCTAssertEqual(current.step, 30)
        XCTAssertEqual(try store.checkpoint(run: current, .latest).step, 30)
        XCTAssertEqual(try store.checkpoint(run: current, .best).step, 20)
        let atTwenty = try store.checkpoint(run: current, .step(20))
        let blobs = try store.blobs(of: atTwenty)
        XCTAssertEqual(blobs["weights"], [9, 2, 3])
        XCTAssertEqual(blobs["empty"], [])
        XCTAssertEqual(blobs["state"], Array("{}".utf8))
        XCTAssertThrowsError(try store.checkpoint(run: current, .step(25))) {
            XCTAssertEqual($0 as? StoreError, .checkpointNotFound(run: "r1", step: 25, available: [10, 20, 30]))
        }
    }

    func testBestFallsBackToLatestWithoutValidation() throws {
        let run = try makeRun()
        XCTAssertThrowsError(try store.checkpoint(run: run, .latest)) { XCTAssertEqual($0 as? StoreError, .noCheckpoint(run: "r1")) }
        try store.saveCheckpoint(runID: run.id, checkpoint(step: 5, valLoss: nil), pendingMetrics: [], keepLatest: 0)
        XCTAssertEqual(try store.checkpoint(run: run, .best).step, 5)
    }

    func testPruneKeepsLatestAndBest() throws {
        let run = try makeRun()
        let losses: [Double] = [3, 1, 2, 2.5, 2.7]
        for (index, loss) in losses.enumerated() {
            try store.saveCheckpoint(runID: run.id, checkpoint(step: (index + 1) * 10, valLoss: loss), pendingMetrics: [], keepLatest: 2)
        }
        XCTAssertEqual(try store.checkpoints(runID: run.id).map(\.step), [20, 40, 50])
        // Blobs of pruned checkpoints go with them.
        let orphans = try store.connection.query("SELECT COUNT(*) FROM checkpoint_blobs WHERE checkpoint_id NOT IN (SELECT id FROM checkpoints)")
        XCTAssertEqual(orphans.first?.first?.int, 0)
    }

    func testCheckpointWritesPendingMetricsInTheSameTransaction() throws {
        let run = try makeRun()
        try store.saveCheckpoint(runID: run.id, checkpoint(step: 4, valLoss: nil),
                                 pendingMetrics: [MetricSample(step: 4, name: .trainLoss, value: 1)], keepLatest: 3)
        XCTAssertEqual(try store.metric(runID: run.id, name: .trainLoss).count, 1)
        // A failing blob insert (duplicate name) rolls back the checkpoint and its metrics.
        var broken = checkpoint(step: 8, valLoss: nil)
        broken.blobs.append(("weights", [0]))
        XCTAssertThrowsError(try store.saveCheckpoint(runID: run.id, broken,
                                                      pendingMetrics: [MetricSample(step: 8, name: .trainLoss, value: 0.5)], keepLatest: 3))
        XCTAssertEqual(try store.checkpoints(runID: run.id).map(\.step), [4])
        XCTAssertEqual(try store.metric(runID: run.id, name: .trainLoss).map(\.step), [4])
        XCTAssertEqual(try store.requireRun(named: "r1").step, 4)
    }

    func testResumeDropsLaterMetricsAndDeleteCascades() throws {
        let run = try makeRun()
        try store.appendMetrics(runID: run.id, (1...10).map { MetricSample(step: $0, name: .trainLoss, value: Double($0)) })
        try store.saveCheckpoint(runID: run.id, checkpoint(step: 6, valLoss: nil), pendingMetrics: [], keepLatest: 3)
        try store.updateStatus(runID: run.id, .interrupted, detail: "SIGINT")
        XCTAssertEqual(try store.requireRun(named: "r1").status, .interrupted)
        try store.beginResume(runID: run.id, fromStep: 6, configJSON: "{\"x\":1}", maxSteps: 200)
        let resumed = try store.requireRun(named: "r1")
        XCTAssertEqual(resumed.status, .running)
        XCTAssertEqual(resumed.maxSteps, 200)
        XCTAssertEqual(resumed.configJSON, "{\"x\":1}")
        XCTAssertEqual(try store.metric(runID: run.id, name: .trainLoss).map(\.step), [1, 2, 3, 4, 5, 6])
        try store.deleteRun(named: "r1")
        XCTAssertNil(try store.run(named: "r1"))
        XCTAssertEqual(try store.connection.query("SELECT COUNT(*) FROM metrics").first?.first?.int, 0)
        XCTAssertEqual(try store.connection.query("SELECT COUNT(*) FROM checkpoint_blobs").first?.first?.int, 0)
    }

    func testSummaries() throws {
        let run = try makeRun()
        try store.appendMetrics(runID: run.id, [MetricSample(step: 1, name: .trainLoss, value: 3),
                                                MetricSample(step: 2, name: .trainLoss, value: 2.25),
                                                MetricSample(step: 1, name: .valLoss, value: 2.5),
                                                MetricSample(step: 2, name: .valLoss, value: 2.75)])
        try store.saveCheckpoint(runID: run.id, checkpoint(step: 2, valLoss: 2.75), pendingMetrics: [], keepLatest: 3)
        let summary = try XCTUnwrap(store.summaries().first)
        XCTAssertEqual(summary.lastTrainLoss, 2.25)
        XCTAssertEqual(summary.lastValLoss, 2.75)
        XCTAssertEqual(summary.bestValLoss, 2.5)
        XCTAssertEqual(summary.weightsSHA256, "sha2")
        XCTAssertEqual(summary.latestCheckpointStep, 2)
    }

    func testNewerSchemaIsRefusedAndGarbageFileIsReported() throws {
        let path = directory.appendingPathComponent("newer.db").path
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA user_version = 99")
        XCTAssertThrowsError(try RunStore(path: path)) {
            XCTAssertEqual($0 as? StoreError, .schemaTooNew(path: path, found: 99, supported: RunStore.schemaVersion))
        }
        let garbage = directory.appendingPathComponent("garbage.db").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try RunStore(path: garbage)) { error in
            XCTAssert("\(error)".contains("not a Descent database"), "\(error)")
        }
    }

    func testSamplesRoundTripAreReplacedAndResumeDropsLaterOnes() throws {
        let run = try makeRun()
        try store.appendSamples(runID: run.id, [TextSample(step: 0, index: 0, text: "qx"), TextSample(step: 0, index: 1, text: ""),
                                               TextSample(step: 5, index: 0, text: "anna\nbob"), TextSample(step: 10, index: 0, text: "emma")])
        try store.appendSamples(runID: run.id, [TextSample(step: 5, index: 0, text: "ana")])
        XCTAssertEqual(try store.samples(runID: run.id).map(\.text), ["qx", "", "ana", "emma"])
        XCTAssertEqual(try store.samples(runID: run.id).map(\.step), [0, 0, 5, 10])
        try store.beginResume(runID: run.id, fromStep: 5, configJSON: "{}", maxSteps: 100)
        XCTAssertEqual(try store.samples(runID: run.id).map(\.step), [0, 0, 5])
        try store.deleteRun(named: "r1")
        XCTAssertEqual(try store.connection.query("SELECT COUNT(*) FROM samples").first?.first?.int, 0)
    }

    func testAllMetricsInOneQueryAndOneBlob() throws {
        let run = try makeRun()
        try store.appendMetrics(runID: run.id, [MetricSample(step: 2, name: .trainLoss, value: 3), MetricSample(step: 1, name: .trainLoss, value: .nan),
                                                MetricSample(step: 1, name: .learningRate, value: 0.1)])
        let all = try store.metrics(runID: run.id)
        XCTAssertEqual(all.map { "\($0.name)@\($0.step)" }, ["lr@1", "train_loss@1", "train_loss@2"])
        XCTAssertNil(all[1].value)
        XCTAssertEqual(try store.metrics(runID: run.id, names: [.learningRate]).map(\.value), [0.1])
        let saved = try store.saveCheckpoint(runID: run.id, checkpoint(step: 2, valLoss: nil), pendingMetrics: [], keepLatest: 3)
        XCTAssertEqual(try store.blob("state", of: saved), Array("{}".utf8))
        XCTAssertNil(try store.blob("nothing", of: saved))
    }

    /// A database written by the first schema (before samples) opens, gains the samples table
    /// and keeps its runs and metrics.
    func testSchemaOneMigratesToTheCurrentSchema() throws {
        let path = directory.appendingPathComponent("v1.db").path
        do {
            let connection = try SQLiteConnection(path: path)
            try connection.execute(RunStore.migrations[0])
            try connection.execute("PRAGMA user_version = 1")
            try connection.execute("""
                INSERT INTO runs (name, model, parameter_count, config_json, data_dir, status, step, max_steps, created_at, updated_at)
                VALUES ('old', 'bigram', 729, '{}', 'data/names', 'completed', 7, 7, 0, 0);
                INSERT INTO metrics (run_id, name, step, value) VALUES (1, 'train_loss', 7, 2.5);
                """)
        }
        let migrated = try RunStore(path: path)
        XCTAssertEqual(try migrated.connection.query("PRAGMA user_version").first?.first?.int, RunStore.schemaVersion)
        let old = try migrated.requireRun(named: "old")
        XCTAssertEqual(try migrated.metric(runID: old.id, name: .trainLoss).map(\.value), [2.5])
        XCTAssertEqual(try migrated.samples(runID: old.id), [])
        try migrated.appendSamples(runID: old.id, [TextSample(step: 7, index: 0, text: "ok")])
        XCTAssertEqual(try migrated.samples(runID: old.id).map(\.text), ["ok"])
    }
}

final class StorePageSizeTests: XCTestCase {
    /// A new database uses 64 KiB pages (checkpoint blobs write three times faster than with
    /// SQLite's default 4 KiB).
    func testANewDatabaseHasLargePages() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("descent-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try RunStore(path: directory.appendingPathComponent("descent.db").path)
        XCTAssertEqual(try store.connection.query("PRAGMA page_size").first?.first?.int, 65536)
        XCTAssertEqual(try store.connection.query("PRAGMA journal_mode").first?.first?.string, "wal")
    }
}
