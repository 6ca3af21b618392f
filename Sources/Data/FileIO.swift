// POSIX file access with DataError evidence: stat, chunked reads, exclusive-create writes.
// Large reads go through `read(2)` in caller-owned buffers (no Foundation `Data` per chunk), so a
// multi-GB corpus streams in constant memory. Deliberately not handled: stdin as an input (the
// prepare pipeline reads its inputs twice), and fsync (a crash may lose a dataset being written,
// never an existing one, because datasets are renamed into place).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FileKind: Equatable { case missing, regular, directory, other }

enum FileSystem {
    /// What `path` is, following symbolic links.
    static func kind(of path: String) -> FileKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & 0o170000 {
        case 0o040000: return .directory
        case 0o100000: return .regular
        default: return .other
        }
    }

    /// The size in bytes of the file at `path`, 0 when it cannot be read.
    static func fileSize(_ path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int(info.st_size)
    }

    static func errorMessage(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Checks that `path` names a readable regular file (or something that reads like one, such as
    /// a pipe), with the error a user of `descent prepare` needs.
    static func checkInputFile(_ path: String) throws(DataError) {
        switch kind(of: path) {
        case .missing:
            throw errno == ENOENT || errno == ENOTDIR
                ? .fileNotFound(path: path) : .unreadable(path: path, reason: errorMessage(errno))
        case .directory: throw .isDirectory(path: path)
        case .regular, .other: return
        }
    }

    /// The whole file, for small files (manifests, tokenizers, one compressed shard). Reuses
    /// `bytes`' storage.
    static func readAll(_ path: String, into bytes: inout [UInt8]) throws(DataError) {
        let file = try InputFile(path: path)
        // One spare byte shows whether the file grew since `size` was taken; if so, keep reading.
        var capacity = max(file.size + 1, 4096)
        var filled = 0
        while true {
            if bytes.count < capacity { bytes.append(contentsOf: repeatElement(0, count: capacity - bytes.count)) }
            let start = filled, end = capacity
            let count = try bytes.withMutableBytes { (buffer) throws(DataError) -> Int in
                try file.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[start..<end]))
            }
            filled += count
            if filled < capacity { break }
            capacity *= 2
        }
        bytes.removeSubrange(filled...)
    }

    static func readAll(_ path: String) throws(DataError) -> [UInt8] {
        var bytes: [UInt8] = []
        try readAll(path, into: &bytes)
        return bytes
    }

    /// Writes `bytes` to a new file at `path` (which must not exist).
    static func writeNew(_ path: String, bytes: [UInt8]) throws(DataError) {
        let file = try OutputFile(path: path)
        try bytes.withBytes { (buffer) throws(DataError) in try file.append(buffer) }
        try file.finish()
    }

    static func makeDirectory(_ path: String) throws(DataError) {
        guard mkdir(path, 0o755) == 0 else { throw .writeFailed(path: path, reason: errorMessage(errno)) }
    }

    static func move(_ from: String, to: String) throws(DataError) {
        guard rename(from, to) == 0 else {
            throw .writeFailed(path: to, reason: errorMessage(errno))
        }
    }
}

/// A file opened for reading, read in caller-sized chunks.
final class InputFile {
    let path: String
    private var descriptor: Int32
    /// Bytes read so far.
    private(set) var bytesRead = 0

    init(path: String) throws(DataError) {
        try FileSystem.checkInputFile(path)
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw code == ENOENT ? .fileNotFound(path: path) : .unreadable(path: path, reason: FileSystem.errorMessage(code))
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// The file's size in bytes (0 for pipes and the like).
    var size: Int {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Reads up to `buffer.count` bytes; 0 means end of file. Retries interrupted reads.
    func readChunk(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let count = read(descriptor, base, buffer.count)
            if count >= 0 {
                bytesRead += count
                return count
            }
            if errno == EINTR { continue }
            let code = errno
            throw code == EISDIR ? .isDirectory(path: path) : .unreadable(path: path, reason: FileSystem.errorMessage(code))
        }
    }
}

/// A new file opened for writing; creation fails if the path exists.
final class OutputFile {
    let path: String
    private var descriptor: Int32

    init(path: String) throws(DataError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: FileSystem.errorMessage(errno)) }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func append(_ bytes: UnsafeRawBufferPointer) throws(DataError) {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let count = write(descriptor, base, remaining)
            if count < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, reason: FileSystem.errorMessage(errno))
            }
            remaining -= count
            base += count
        }
    }

    func finish() throws(DataError) {
        guard descriptor >= 0 else { return }
        let result = close(descriptor)
        descriptor = -1
        guard result == 0 else { throw .writeFailed(path: path, reason: FileSystem.errorMessage(errno)) }
    }
}
