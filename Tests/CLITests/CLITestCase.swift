import Foundation
import XCTest

/// Runs the real `descent` executable (built beside the test bundle) in a scratch directory.
class CLITestCase: XCTestCase {
    var workDirectory: URL!
    /// Variables added to the environment of every `descent` the test launches.
    var extraEnvironment: [String: String] = [:]

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let executable: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("descent")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/descent").standardized
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    override func setUpWithError() throws {
        workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("descent-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            throw XCTSkip("the descent executable is not built at \(Self.executable.path); run `swift build` first")
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: workDirectory)
    }

    func path(_ name: String) -> String { workDirectory.appendingPathComponent(name).path }

    func write(_ text: String, to name: String) throws {
        try text.write(to: workDirectory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func writeBytes(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: workDirectory.appendingPathComponent(name))
    }

    func launch(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = workDirectory
        if !extraEnvironment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(extraEnvironment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    @discardableResult
    func descent(_ arguments: String...) throws -> Result { try descent(arguments) }

    @discardableResult
    func descent(_ arguments: [String]) throws -> Result {
        let (process, out, err) = try launch(arguments)
        // Read before waiting so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A user error: non-zero exit, one line on stderr that contains `expected`, no crash output.
    func assertUserError(_ result: Result, contains expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, "expected failure; stderr: \(result.stderr)", file: file, line: line)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, "expected one line on stderr, got: \(result.stderr)", file: file, line: line)
        XCTAssert(result.stderr.contains(expected), "stderr lacks '\(expected)': \(result.stderr)", file: file, line: line)
        for crashMark in ["Fatal error", "Stack dump", "Backtrace", "Segmentation", "💣"] {
            XCTAssertFalse(result.stderr.contains(crashMark), "crash output: \(result.stderr)", file: file, line: line)
        }
        XCTAssertLessThan(result.status, 128, "killed by a signal: \(result.status)", file: file, line: line)
    }

    /// A usage error (ArgumentParser's validation): exit code 64, the message first, then usage.
    func assertUsageError(_ result: Result, contains expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 64, result.stderr, file: file, line: line)
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssert(first.hasPrefix("Error: ") && first.contains(expected), "first line: \(first)", file: file, line: line)
    }

    /// A tiny names corpus prepared into data/names, and a config for it.
    func prepareNames(config overrides: [String: String] = [:]) throws {
        var words: [String] = []
        let parts = ["an", "na", "el", "li", "ma", "ra", "jo", "ko", "ti", "sa"]
        for i in 0..<400 { words.append(parts[i % 10] + parts[(i / 10) % 10] + (i % 3 == 0 ? parts[(i / 7) % 10] : "")) }
        try write(words.joined(separator: "\n") + "\n", to: "names.txt")
        let prepared = try descent("prepare", "names.txt", "--out", "data/names", "--split-by", "lines", "--overwrite")
        XCTAssertEqual(prepared.status, 0, prepared.stderr)
        var training: [String: String] = ["maxSteps": "40", "batchSize": "16", "evalInterval": "20", "evalBatches": "2",
                                          "checkpointInterval": "10", "logInterval": "10"]
        training.merge(overrides) { $1 }
        let trainingJSON = training.map { "\"\($0.key)\": \($0.value)" }.sorted().joined(separator: ", ")
        try write("""
            {"data": {"dir": "data/names"},
             "model": {"type": "mlp", "contextLength": 3, "embeddingSize": 4, "hiddenSize": 16},
             "optimizer": {"type": "sgd", "learningRate": 0.1, "momentum": 0.9},
             "schedule": {"warmupSteps": 5},
             "training": {\(trainingJSON)}}
            """, to: "tiny.json")
    }
}
