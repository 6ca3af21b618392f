import Foundation
import Store
import XCTest

/// Damaged checkpoints survived, databases that are missing or foreign, run management, and
/// models too big for the machine, through the executable.
final class CLITrustTests: CLITestCase {
    func weightsSHA256(_ run: String) throws -> String? {
        let result = try descent("runs", "--json", "--db", "db.sqlite")
        let entries = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        return entries.first { $0["name"] as? String == run }?["weightsSHA256"] as? String
    }

    /// Flips one byte in the middle of a blob of the run's checkpoint at `step`, as a bad disk or
    /// a hand-written UPDATE would.
    func flipByte(run: String, step: Int, part: String) throws {
        let connection = try SQLiteConnection(path: path("db.sqlite"))
        let rows = try connection.query("""
            SELECT b.checkpoint_id, b.data FROM checkpoint_blobs b JOIN checkpoints c ON c.id = b.checkpoint_id
            JOIN runs r ON r.id = c.run_id WHERE r.name = ? AND c.step = ? AND b.name = ?
            """, [.text(run), .integer(Int64(step)), .text(part)])
        let row = try XCTUnwrap(rows.first, "no \(part) at step \(step)")
        var bytes = try XCTUnwrap(row[1].bytes)
        bytes[bytes.count / 2] ^= 0x40
        try connection.query("UPDATE checkpoint_blobs SET data = ? WHERE checkpoint_id = ? AND name = ?",
                             [.blob(bytes), row[0], .text(part)])
    }

    func testADamagedLatestCheckpointIsPassedOverAndTheResumeIsExact() throws {
        try prepareNames()
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "straight", "--db", "db.sqlite", "--quiet").status, 0)
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "hurt", "--db", "db.sqlite", "--stop-at", "30", "--quiet").status, 0)
        try flipByte(run: "hurt", step: 30, part: "weights")

        let sample = try descent("sample", "hurt", "--db", "db.sqlite", "--seed", "1")
        XCTAssertEqual(sample.status, 0, sample.stderr)
        XCTAssert(sample.stderr.contains("warning: the latest checkpoint, step 30, is damaged (its 'weights' part fails its SHA-256 check)"), sample.stderr)
        XCTAssert(sample.stderr.contains("using step 20"), sample.stderr)
        assertUserError(try descent("sample", "hurt", "--db", "db.sqlite", "--checkpoint", "30"),
                        contains: "run 'hurt': the checkpoint at step 30 is damaged: its 'weights' part fails its SHA-256 check. Other checkpoints: 10, 20.")
        let verify = try descent("verify", "hurt", "--db", "db.sqlite")
        XCTAssertEqual(verify.status, 1)
        XCTAssert(verify.stdout.contains("checkpoint 30: DAMAGED: its 'weights' part fails its SHA-256 check"), verify.stdout)
        XCTAssert(verify.stdout.contains("checkpoint 20: ok"), verify.stdout)
        XCTAssert(verify.stderr.contains("verify found 1 problem"), verify.stderr)

        let resumed = try descent("train", "--resume", "hurt", "--db", "db.sqlite", "--quiet")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssert(resumed.stderr.contains("step 30, is damaged") && resumed.stderr.contains("resuming from step 20"), resumed.stderr)
        XCTAssertEqual(try weightsSHA256("hurt"), try weightsSHA256("straight"), "resumed from step 20, the run ends bit for bit as one that never stopped")
        XCTAssertEqual(try descent("verify", "--db", "db.sqlite").status, 0, "the damaged checkpoint was dropped and rewritten")
    }

    func testEachKindOfDamagedPartIsDetected() throws {
        try prepareNames()
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "r", "--db", "db.sqlite", "--quiet").status, 0)
        let connection = try SQLiteConnection(path: path("db.sqlite"))
        for part in ["optimizer", "state", "model", "config", "tokenizer"] {
            try flipByte(run: "r", step: 40, part: part)
            assertUserError(try descent("eval", "r", "--db", "db.sqlite", "--text", "names.txt", "--checkpoint", "40"),
                            contains: "its '\(part)' part fails its SHA-256 check")
            try connection.execute("DELETE FROM checkpoints WHERE step = 40")
            XCTAssertEqual(try descent("train", "--resume", "r", "--db", "db.sqlite", "--quiet").status, 0)
        }
        // A truncated blob and a missing one.
        try connection.execute("UPDATE checkpoint_blobs SET data = substr(data, 1, 10), sha256 = NULL WHERE name = 'weights' AND checkpoint_id = (SELECT MAX(id) FROM checkpoints)")
        assertUserError(try descent("sample", "r", "--db", "db.sqlite", "--checkpoint", "40"),
                        contains: "the checkpoint at step 40 is damaged: its 'weights' part is unusable: truncated at byte 8")
        try connection.execute("DELETE FROM checkpoint_blobs WHERE name = 'tokenizer' AND checkpoint_id = (SELECT MAX(id) FROM checkpoints)")
        assertUserError(try descent("sample", "r", "--db", "db.sqlite", "--checkpoint", "40"), contains: "its 'tokenizer' part is missing")
        let fallback = try descent("sample", "r", "--db", "db.sqlite", "--checkpoint", "best")
        XCTAssertEqual(fallback.status, 0, fallback.stderr)

        // A row whose step is not the step its state records (a checkpoint moved by hand).
        try connection.execute("UPDATE checkpoints SET step = 35 WHERE step = 30 AND run_id = (SELECT id FROM runs WHERE name = 'r')")
        assertUserError(try descent("sample", "r", "--db", "db.sqlite", "--checkpoint", "35"),
                        contains: "the checkpoint at step 35 is damaged: its training state is at step 30")
    }

    func testReadingVerbsNeverCreateADatabase() throws {
        let reading: [[String]] = [["runs"], ["show", "x"], ["sample", "x"], ["eval", "x", "--text", "a.txt"], ["verify"],
                                   ["rm", "x", "--yes"], ["metrics", "x"], ["plot", "x", "-o", "p.svg"]]
        for arguments in reading {
            assertUserError(try descent(arguments + ["--db", "typo/runs.db"]), contains: "typo/runs.db: no such database.")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("typo")))
        try write("not a database at all\n", to: "notes.db")
        assertUserError(try descent("runs", "--db", "notes.db"), contains: "notes.db: not a Descent database (file is not a database)")
        assertUserError(try descent("train", "tiny.json", "--db", "notes.db"), contains: "not a Descent database")
        let newer = try SQLiteConnection(path: path("newer.db"))
        try newer.execute("PRAGMA user_version = 99")
        assertUserError(try descent("runs", "--db", "newer.db"), contains: "written by a newer Descent (schema 99")
    }

    func testShowAndRemove() throws {
        try prepareNames()
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "base", "--db", "db.sqlite", "--quiet").status, 0)
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "tuned", "--init-from", "base@30", "--db", "db.sqlite", "--quiet").status, 0)
        let show = try descent("show", "tuned", "--db", "db.sqlite")
        XCTAssertEqual(show.status, 0, show.stderr)
        for expected in ["status   completed", "lineage  fine-tuned from 'base' at step 30", "\"maxSteps\" : 40",
                         "STEP  REASON", "final", "verified", "descent train --resume tuned --set training.maxSteps=80"] {
            XCTAssert(show.stdout.contains(expected), "lacks \(expected): \(show.stdout)")
        }
        try flipByte(run: "tuned", step: 40, part: "state")
        XCTAssert(try descent("show", "tuned", "--db", "db.sqlite").stdout.contains("DAMAGED (state)"))

        assertUserError(try descent("rm", "base", "--db", "db.sqlite"), contains: "pass --yes")
        let removed = try descent("rm", "base", "--yes", "--db", "db.sqlite")
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssert(removed.stdout.contains("Deleted run 'base'"), removed.stdout)
        assertUserError(try descent("show", "base", "--db", "db.sqlite"), contains: "no run named 'base'")
        XCTAssertEqual(try descent("sample", "tuned", "--db", "db.sqlite").status, 0, "the fine-tuned run keeps its own checkpoints")
    }

    func testAModelTooBigForMemoryIsRefusedBeforeAllocating() throws {
        try prepareNames()
        let dryRun = try descent("train", "tiny.json", "--dry-run", "--db", "db.sqlite")
        XCTAssertEqual(dryRun.status, 0, dryRun.stderr)
        for expected in ["parameters  ", "memory      about", "FLOPs/step", "time/step", "Nothing was created"] {
            XCTAssert(dryRun.stdout.contains(expected), "lacks \(expected): \(dryRun.stdout)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("db.sqlite")), "a dry run creates no database")
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "r", "--db", "db.sqlite", "--quiet").status, 0)

        extraEnvironment = ["DESCENT_MEMORY_LIMIT": "10000"]
        let refused = try descent("train", "tiny.json", "--run", "big", "--db", "db.sqlite")
        assertUserError(refused, contains: "training this mlp needs about")
        XCTAssert(refused.stderr.contains("more than the 10.0 kB of DESCENT_MEMORY_LIMIT. Lower model.hiddenSize"), refused.stderr)
        let dryRefused = try descent("train", "tiny.json", "--dry-run")
        XCTAssertEqual(dryRefused.status, 1)
        XCTAssert(dryRefused.stdout.contains("parameters  "), "the figures come before the refusal")
        extraEnvironment = ["DESCENT_MEMORY_LIMIT": "3000"]
        assertUserError(try descent("train", "tiny.json", "--run", "big", "--set", "model.type=bigram", "--db", "db.sqlite"),
                        contains: "use the MLP (--set model.type=mlp), or prepare the data with a BPE tokenizer")
        extraEnvironment = ["DESCENT_MEMORY_LIMIT": "2000"]
        assertUserError(try descent("sample", "r", "--db", "db.sqlite"), contains: "loading the checkpoint at step 40 (a mlp) needs about")
        assertUserError(try descent("train", "tiny.json", "--run", "tuned", "--init-from", "r", "--db", "db.sqlite"),
                        contains: "needs about")
    }

    func testPreparingOntoADatasetNeedsOverwriteAndNamesItsRuns() throws {
        try prepareNames()
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "r", "--db", "db.sqlite", "--quiet").status, 0)
        assertUserError(try descent("prepare", "names.txt", "--out", "data/names", "--db", "db.sqlite"),
                        contains: "data/names already holds a dataset (run 'r' in db.sqlite trained on it and could no longer resume). Pass --overwrite")
        assertUserError(try descent("prepare", "names.txt", "--out", "./data/names/"), contains: "no run in checkpoints/descent.db uses it")
        let replaced = try descent("prepare", "names.txt", "--out", "data/names", "--overwrite")
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
    }

    /// Pages of the database file overwritten, as a failing disk would: `verify` reports the
    /// damage, and every verb answers in one line or falls back past the unreadable checkpoints.
    func testADamagedDatabaseFileIsReportedInOneLine() throws {
        try prepareNames()
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "r", "--db", "db.sqlite", "--quiet").status, 0)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path("db.sqlite")))
        for page in 1...10 {
            try handle.seek(toOffset: UInt64(page * 65_536 + 20))
            handle.write(Data(repeating: 0xAD, count: 100))
        }
        try handle.close()
        let verify = try descent("verify", "--db", "db.sqlite")
        XCTAssertEqual(verify.status, 1, verify.stdout)
        XCTAssert(verify.stdout.contains("integrity check FAILED"), verify.stdout)
        for arguments in [["runs"], ["show", "r"], ["sample", "r"], ["train", "--resume", "r", "--set", "training.maxSteps=50"]] {
            let result = try descent(arguments + ["--db", "db.sqlite"])
            if result.status != 0 {
                assertUserError(result, contains: "damaged")
            } else {
                XCTAssertLessThanOrEqual(result.stderr.split(separator: "\n").filter { $0.hasPrefix("warning") || $0.hasPrefix("error") }.count, 1, result.stderr)
            }
        }
    }
}
