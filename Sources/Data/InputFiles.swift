// The input list of `descent prepare`: files as given, and directories searched recursively for
// text files, in a fixed order so that the same tree always gives the same dataset.
//
// A directory contributes every regular file below it whose name ends in `.txt` or `.gz`, in
// byte order of the path; names starting with "." (files and directories) are skipped, and so
// are directories reached through symbolic links (no cycles). Files named explicitly are taken
// whatever their extension. Deliberately not handled: glob patterns (the shell expands those)
// and other extensions inside directories (`.md`, `.json` are rarely meant as a corpus).

import Foundation

public enum InputFiles {
    /// The extensions taken from directories.
    public static let extensions = ["txt", "gz"]

    /// `inputs` with each directory replaced by its text files. Throws `fileNotFound` (or `unreadable`) for
    /// a path that cannot be read and `noTextFiles` for a directory without any.
    public static func expand(_ inputs: [String]) throws(DataError) -> [String] {
        var files: [String] = []
        for input in inputs {
            switch FileSystem.kind(of: input) {
            case .missing:
                try FileSystem.checkInputFile(input)
                files.append(input)
            case .directory:
                let found = textFiles(under: input)
                guard !found.isEmpty else { throw .noTextFiles(directory: input) }
                files += found
            case .regular, .other:
                files.append(input)
            }
        }
        return files
    }

    private static func textFiles(under directory: String) -> [String] {
        let root = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            let path = root + "/" + relative
            if name.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            let attributes = walker.fileAttributes
            if attributes?[.type] as? FileAttributeType == .typeSymbolicLink, FileSystem.kind(of: path) == .directory {
                walker.skipDescendants()
                continue
            }
            guard FileSystem.kind(of: path) == .regular else { continue }
            if extensions.contains((name as NSString).pathExtension.lowercased()) { found.append(path) }
        }
        return found.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
