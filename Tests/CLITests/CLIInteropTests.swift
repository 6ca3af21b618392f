// export, import and export-data through the executable: the round trip to safetensors and back is
// exact (same weights, same evaluation, same samples), the imported run works with every verb that
// reads a run, and bad files, other tokenizers and occupied outputs are refused in one line.

import Foundation
import SafeTensors
import XCTest

final class CLIInteropTests: CLITestCase {
    func runsJSON() throws -> [[String: Any]] {
        let result = try descent("runs", "--json", "--db", "db.sqlite")
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    }

    func run(_ name: String) throws -> [String: Any]? { try runsJSON().first { $0["name"] as? String == name } }

    func evalLoss(_ run: String) throws -> Double {
        let result = try descent("eval", run, "--text", "names.txt", "--json", "--db", "db.sqlite")
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try XCTUnwrap(object["loss"] as? Double)
    }

    func trainedRun(_ name: String = "tiny") throws {
        try prepareNames()
        let trained = try descent("train", "tiny.json", "--run", name, "--db", "db.sqlite", "--quiet")
        XCTAssertEqual(trained.status, 0, trained.stderr)
    }

    func testExportImportRoundTripIsExactAndTheImportedRunWorksEverywhere() throws {
        try trainedRun()
        let exported = try descent("export", "tiny", "--format", "safetensors", "-o", "tiny.safetensors", "--db", "db.sqlite")
        XCTAssertEqual(exported.status, 0, exported.stderr)
        XCTAssertTrue(exported.stdout.contains("step 40"), exported.stdout)
        let file = try SafeTensorsFile(decoding: [UInt8](Data(contentsOf: URL(fileURLWithPath: path("tiny.safetensors")))))
        XCTAssertEqual(file.tensors.keys.sorted(), ["embedding.weight", "hidden.0.bias", "hidden.0.weight", "output.bias", "output.weight"])
        XCTAssertEqual(file.metadata["descent.run"], "tiny")

        // Refused without --overwrite; with it, the same bytes again.
        assertUserError(try descent("export", "tiny", "-o", "tiny.safetensors", "--db", "db.sqlite"), contains: "--overwrite")
        let first = try Data(contentsOf: URL(fileURLWithPath: path("tiny.safetensors")))
        XCTAssertEqual(try descent("export", "tiny", "-o", "tiny.safetensors", "--overwrite", "--db", "db.sqlite").status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("tiny.safetensors"))), first)

        let imported = try descent("import", "tiny.safetensors", "--run", "back", "--db", "db.sqlite")
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let original = try XCTUnwrap(try run("tiny")), back = try XCTUnwrap(try run("back"))
        XCTAssertEqual(back["weightsSHA256"] as? String, original["weightsSHA256"] as? String)
        XCTAssertEqual(back["step"] as? Int, 0)
        XCTAssertEqual(back["lastValLoss"] as? Double, original["lastValLoss"] as? Double)
        XCTAssertEqual(try evalLoss("back"), try evalLoss("tiny"))
        let samples = ["--num-samples", "5", "--seed", "3", "--db", "db.sqlite"]
        XCTAssertEqual(try descent(["sample", "back"] + samples).stdout, try descent(["sample", "tiny"] + samples).stdout)
        let shown = try descent("show", "back", "--db", "db.sqlite")
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("imported from tiny.safetensors (run 'tiny', step 40)"), shown.stdout)

        // Exporting the imported run gives the same tensors (the metadata's run and step differ).
        XCTAssertEqual(try descent("export", "back", "-o", "back.safetensors", "--db", "db.sqlite").status, 0)
        let again = try SafeTensorsFile(decoding: [UInt8](Data(contentsOf: URL(fileURLWithPath: path("back.safetensors")))))
        XCTAssertEqual(again.tensors, file.tensors)
        XCTAssertEqual(again.metadata["descent.config"], file.metadata["descent.config"])

        // Resume trains the imported weights from step 0; --init-from fine-tunes them in a new run.
        let resumed = try descent("train", "--resume", "back", "--set", "training.maxSteps=20", "--db", "db.sqlite", "--quiet")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try run("back")?["step"] as? Int, 20)
        XCTAssertNotEqual(try run("back")?["weightsSHA256"] as? String, original["weightsSHA256"] as? String)
        let tuned = try descent("train", "tiny.json", "--run", "tuned", "--init-from", "tiny-copy", "--db", "db.sqlite", "--quiet")
        assertUserError(tuned, contains: "tiny-copy")
        XCTAssertEqual(try descent("import", "tiny.safetensors", "--run", "tiny-copy", "--db", "db.sqlite").status, 0)
        let fineTuned = try descent("train", "tiny.json", "--run", "tuned", "--init-from", "tiny-copy", "--set", "training.maxSteps=10",
                                    "--db", "db.sqlite", "--quiet")
        XCTAssertEqual(fineTuned.status, 0, fineTuned.stderr)
        XCTAssertEqual(try run("tuned")?["parentRun"] as? String, "tiny-copy")

        assertUserError(try descent("import", "tiny.safetensors", "--run", "back", "--db", "db.sqlite"), contains: "back")
        XCTAssertEqual(try descent("import", "tiny.safetensors", "--run", "back", "--overwrite", "--db", "db.sqlite").status, 0)
        XCTAssertEqual(try run("back")?["step"] as? Int, 0)
    }

    func testImportRefusesMismatchedFilesNamingTheTensorAndCreatesNothing() throws {
        try trainedRun()
        XCTAssertEqual(try descent("export", "tiny", "-o", "tiny.safetensors", "--db", "db.sqlite").status, 0)
        let good = try SafeTensorsFile(decoding: [UInt8](Data(contentsOf: URL(fileURLWithPath: path("tiny.safetensors")))))
        var missing = good
        missing.tensors["hidden.0.bias"] = nil
        var shaped = good
        shaped.tensors["output.bias"] = SafeTensor(float32: [1, 2], shape: [2])
        var typed = good
        typed.tensors["output.bias"] = SafeTensor(dtype: .f16, shape: good.tensors["output.bias"]?.shape ?? [],
                                                  bytes: [UInt8](repeating: 0, count: 2 * (good.tensors["output.bias"]?.elementCount ?? 0)))
        var extra = good
        extra.tensors["hidden.1.weight"] = SafeTensor(float32: [0], shape: [1])
        var bare = good
        bare.metadata = [:]
        for (name, file, expected) in [("missing", missing, "lacks tensor 'hidden.0.bias'"), ("shaped", shaped, "tensor 'output.bias' has shape [2]"),
                                       ("typed", typed, "tensor 'output.bias' is F16"), ("extra", extra, "tensor 'hidden.1.weight', which"),
                                       ("bare", bare, "no 'descent.format'")] {
            try writeBytes(file.encoded(), to: name + ".safetensors")
            assertUserError(try descent("import", name + ".safetensors", "--run", name, "--db", "db.sqlite"), contains: expected)
            XCTAssertNil(try run(name), name)
        }
        try writeBytes(Array("not a safetensors file at all".utf8), to: "junk.safetensors")
        assertUserError(try descent("import", "junk.safetensors", "--run", "junk", "--db", "db.sqlite"), contains: "header length")
        assertUserError(try descent("import", "absent.safetensors", "--run", "junk", "--db", "db.sqlite"), contains: "cannot read absent.safetensors")
    }

    func testImportChecksTheDatasetAndItsTokenizer() throws {
        try trainedRun()
        XCTAssertEqual(try descent("export", "tiny", "-o", "tiny.safetensors", "--db", "db.sqlite").status, 0)
        // Another corpus, another alphabet: another tokenizer.
        try write("xyz\nzyx\nqqq\n" + String(repeating: "wxyz\n", count: 50), to: "other.txt")
        XCTAssertEqual(try descent("prepare", "other.txt", "--out", "data/other", "--split-by", "lines").status, 0)
        assertUserError(try descent("import", "tiny.safetensors", "--run", "x", "--data", "data/other", "--db", "db.sqlite"),
                        contains: "another tokenizer")
        assertUserError(try descent("import", "tiny.safetensors", "--run", "x", "--data", "nowhere", "--db", "db.sqlite"), contains: "nowhere")
        // The dataset moved: the file's data.dir is gone, --data names the new place.
        try FileManager.default.moveItem(atPath: path("data/names"), toPath: path("data/moved"))
        assertUserError(try descent("import", "tiny.safetensors", "--run", "x", "--db", "db.sqlite"), contains: "--data DIR")
        let moved = try descent("import", "tiny.safetensors", "--run", "x", "--data", "data/moved", "--db", "db.sqlite")
        XCTAssertEqual(moved.status, 0, moved.stderr)
        XCTAssertEqual(try run("x")?["dataDirectory"] as? String, "data/moved")
        XCTAssertEqual(try descent("train", "--resume", "x", "--set", "training.maxSteps=10", "--db", "db.sqlite", "--quiet").status, 0)
    }

    func testExportDataWritesLLMCShardsChecked() throws {
        try prepareNames()
        XCTAssertEqual(try descent("prepare", "names.txt", "--out", "data/small", "--split-by", "lines", "--shard-tokens", "1024").status, 0)
        let result = try descent("export-data", "data/small", "--format", "llmc", "-o", "out/llmc")
        XCTAssertEqual(result.status, 0, result.stderr)
        let listing = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("out/llmc/listing.json")))) as? [String: Any])
        let files = try XCTUnwrap(listing["files"] as? [[String: Any]])
        XCTAssertGreaterThan(files.count, 2)
        XCTAssertEqual(listing["magic"] as? Int, 20240520)
        for entry in files {
            let name = try XCTUnwrap(entry["file"] as? String)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("out/llmc/\(name)"))))
            let tokens = try XCTUnwrap(entry["tokens"] as? Int)
            XCTAssertEqual(bytes.count, 1024 + 2 * tokens)
            func int32(at index: Int) -> Int {
                var value: UInt32 = 0
                for byte in 0..<4 { value |= UInt32(bytes[index * 4 + byte]) << UInt32(8 * byte) }
                return Int(Int32(bitPattern: value))
            }
            XCTAssertEqual([int32(at: 0), int32(at: 1), int32(at: 2)], [20240520, 1, tokens])
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out/llmc/tokenizer.json")))
        assertUserError(try descent("export-data", "data/small", "-o", "out/llmc"), contains: "--overwrite")
        XCTAssertEqual(try descent("export-data", "data/small", "-o", "out/llmc", "--overwrite").status, 0)

        // A damaged shard is refused on the way, named.
        let shard = path("data/small/train_000001.bin.gz")
        var damaged = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
        damaged[damaged.count / 2] ^= 0x10
        try Data(damaged).write(to: URL(fileURLWithPath: shard))
        assertUserError(try descent("export-data", "data/small", "-o", "out/damaged"), contains: "train_000001.bin.gz")
        assertUserError(try descent("export-data", "nowhere", "-o", "out/none"), contains: "nowhere")
    }
}
