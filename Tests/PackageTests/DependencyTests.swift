// Package.swift tells the truth: every target declares exactly the modules its sources import.
//
// The declared dependencies come from `swift package dump-package` (SwiftPM's own reading of the
// manifest); the imports from the `import` lines of each target's Swift files. System modules
// (Foundation, Glibc, XCTest, ...) are not package targets and are left out of the comparison.

import Foundation
import XCTest

final class DependencyTests: XCTestCase {
    static let systemModules: Set<String> = ["Foundation", "FoundationEssentials", "FoundationXML", "Glibc", "Darwin", "Dispatch", "XCTest",
                                             "Testing", "Synchronization"]

    struct Target: Decodable {
        let name: String
        let type: String
        let path: String?
        let dependencies: [[String: [JSONValue]]]?

        var declared: Set<String> {
            Set((dependencies ?? []).compactMap { $0.values.first?.first?.string })
        }
    }

    struct Manifest: Decodable { let targets: [Target] }

    /// Just enough JSON to read dump-package's dependency entries (`{"byName": ["Core", null]}`).
    enum JSONValue: Decodable {
        case string(String), other
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            self = (try? container.decode(String.self)).map(JSONValue.string) ?? .other
        }
        var string: String? { if case .string(let value) = self { value } else { nil } }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func manifest() throws -> Manifest {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // A scratch path of its own, so this never waits for the build lock `swift test` holds.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("descent-dump-\(UUID().uuidString)")
        process.arguments = ["swift", "package", "--package-path", Self.root.path, "--scratch-path", scratch.path, "dump-package"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        do { try process.run() } catch { throw XCTSkip("cannot run `swift package dump-package` (\(error)); skipping") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: scratch)
        guard process.terminationStatus == 0 else {
            throw XCTSkip("`swift package dump-package` exited with \(process.terminationStatus); skipping")
        }
        return try JSONDecoder().decode(Manifest.self, from: data)
    }

    static func imports(under directory: URL) throws -> Set<String> {
        var modules = Set<String>()
        guard let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return modules }
        let pattern = try NSRegularExpression(pattern: #"^\s*(?:@testable\s+|@_implementationOnly\s+)?import\s+([A-Za-z_][A-Za-z0-9_]*)"#,
                                              options: .anchorsMatchLines)
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { modules.insert(String(text[range])) }
            }
        }
        return modules.subtracting(systemModules)
    }

    func testDeclaredDependenciesEqualImports() throws {
        let targets = try manifest().targets.filter { $0.type != "system" }
        XCTAssertGreaterThan(targets.count, 10)
        for target in targets {
            let folder = target.path ?? "\(target.type == "test" ? "Tests" : "Sources")/\(target.name)"
            let imported = try Self.imports(under: Self.root.appendingPathComponent(folder))
            let declared = target.declared
            XCTAssertEqual(declared.subtracting(imported).sorted(), [], "\(target.name) declares but never imports these")
            XCTAssertEqual(imported.subtracting(declared).sorted(), [], "\(target.name) imports but does not declare these")
        }
    }
}
