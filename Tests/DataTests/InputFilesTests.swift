import Foundation
import XCTest
@testable import Data

final class InputFilesTests: XCTestCase {
    func testDirectoriesExpandToTheirTextFilesRecursivelyInByteOrder() throws {
        let root = makeTemporaryDirectory(self) + "/corpus"
        for file in ["b.txt", "a.txt.gz", "notes.md", "sub/z.txt", "sub/deeper/A.gz", ".hidden.txt", ".git/x.txt", "Zed.TXT"] {
            let path = root + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            writeFile(path, bytes: Array("text\n".utf8))
        }
        try FileManager.default.createSymbolicLink(atPath: root + "/loop", withDestinationPath: root)
        let single = makeTemporaryDirectory(self) + "/single.md"
        writeFile(single, bytes: Array("x".utf8))
        let files = try InputFiles.expand([root, single])
        XCTAssertEqual(files.map { $0.replacingOccurrences(of: root + "/", with: "") },
                       ["Zed.TXT", "a.txt.gz", "b.txt", "sub/deeper/A.gz", "sub/z.txt", single],
                       "byte order (upper case first), hidden names and linked directories skipped, named files kept")
    }

    func testMissingPathsAndEmptyDirectoriesAreErrors() throws {
        let root = makeTemporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: root + "/empty/sub", withIntermediateDirectories: true)
        writeFile(root + "/empty/sub/readme.md", bytes: [0x61])
        XCTAssertThrowsError(try InputFiles.expand([root + "/empty"])) { error in
            XCTAssertEqual(error as? DataError, .noTextFiles(directory: root + "/empty"))
            XCTAssert("\(error)".contains("is a directory with no .txt or .gz files"), "\(error)")
        }
        XCTAssertThrowsError(try InputFiles.expand([root + "/nope.txt"])) { error in
            XCTAssertEqual(error as? DataError, .fileNotFound(path: root + "/nope.txt"))
        }
    }
}
