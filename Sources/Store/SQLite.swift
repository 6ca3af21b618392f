// A small typed layer over the SQLite C API: connections, prepared statements, transactions.
//
// Why not GRDB: the store needs a handful of statements (runs, metrics, checkpoint blobs), and
// owning the layer keeps a clean build ~100 s shorter on CI's 2 cores, gives direct control of
// WAL, synchronous and busy-timeout settings, and makes every error carry the SQLite result code
// and the operation. Deliberately not handled: connection pools, observation, Codable records.

import CSQLite
import Foundation

/// A value bound to or read from a statement.
public enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// SQLITE_TRANSIENT tells SQLite to copy bound text and blobs before the bind call returns.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One open database file. Not thread-safe: use one connection per thread.
public final class SQLiteConnection {
    let handle: OpaquePointer
    public let path: String

    /// Opens the database at `path` (creating it if `mayCreate`), in WAL mode with foreign keys on.
    public init(path: String, readOnly: Bool = false, mayCreate: Bool = true) throws(StoreError) {
        self.path = path
        var connection: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | (mayCreate ? SQLITE_OPEN_CREATE : 0))
        let code = sqlite3_open_v2(path, &connection, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let connection else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let connection { sqlite3_close_v2(connection) }
            throw .sqlite(code: code, operation: "open", message: message, path: path)
        }
        handle = connection
        // Another process (e.g. `descent runs` while training) may hold the write lock briefly.
        sqlite3_busy_timeout(handle, 10_000)
        if !readOnly {
            // WAL: readers never block the trainer's writes. synchronous=NORMAL in WAL keeps the
            // database consistent after a crash of the process or the machine; a power loss can
            // drop the last commits, never corrupt earlier ones.
            // 64 KiB pages for a new database (SQLite ignores this for one that has content, and it
            // must come before WAL): checkpoint blobs are megabytes, and writing one as 4 KiB pages
            // costs three times as long, per page overhead and WAL frames.
            // Incremental auto-vacuum (also only for a new database) lets `descent rm` hand freed
            // pages back to the file system without rewriting the whole file; pages freed by
            // pruned checkpoints are reused by the next ones either way.
            try execute("PRAGMA page_size=65536")
            try execute("PRAGMA auto_vacuum=INCREMENTAL")
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=NORMAL")
            // The log is copied into the database every 1,000 pages (SQLite's default: 64 MiB at
            // 64 KiB pages) and truncated back to 64 MiB after a large transaction (a checkpoint's
            // blobs) grew it past that, so over a long run it stays near 64 MiB plus one
            // checkpoint. Copying every 256 pages kept it near 16 MiB but cost 10-15 ms more per
            // 5.8 MB checkpoint: pages rewritten between copies are copied once.
            try execute("PRAGMA journal_size_limit=67108864")
        }
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements that return no rows of interest.
    public func execute(_ sql: String) throws(StoreError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if code != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw .sqlite(code: code, operation: "execute \(Self.abbreviate(sql))", message: message, path: path)
        }
    }

    public func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw .sqlite(code: code, operation: "prepare \(Self.abbreviate(sql))", message: lastErrorMessage, path: path)
        }
        return SQLiteStatement(statement: statement, connection: self, sql: sql)
    }

    /// Runs `sql` with `values` bound in order and returns all rows.
    @discardableResult
    public func query(_ sql: String, _ values: [SQLValue] = []) throws(StoreError) -> [[SQLValue]] {
        let statement = try prepare(sql)
        try statement.bind(values)
        var rows: [[SQLValue]] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; rolls back if it throws. IMMEDIATE takes
    /// the write lock up front, so a concurrent writer waits at BEGIN instead of failing later.
    public func transaction<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    static func abbreviate(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return flat.count > 60 ? String(flat.prefix(57)) + "..." : flat
    }
}

/// A prepared statement. Bind, step through rows, read columns; `reset` to reuse.
public final class SQLiteStatement {
    let statement: OpaquePointer
    unowned let connection: SQLiteConnection
    let sql: String

    init(statement: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.statement = statement
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(statement) }

    public func bind(_ values: [SQLValue]) throws(StoreError) {
        for (index, value) in values.enumerated() { try bind(value, at: Int32(index + 1)) }
    }

    public func bind(_ value: SQLValue, at index: Int32) throws(StoreError) {
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(statement, index)
        case .integer(let integer): code = sqlite3_bind_int64(statement, index, integer)
        case .real(let real): code = real.isFinite ? sqlite3_bind_double(statement, index, real) : sqlite3_bind_null(statement, index)
        case .text(let text):
            // With an explicit length, from the string's own UTF-8: passing the String as a C string
            // would copy it to the heap for every bind.
            var text = text
            code = text.withUTF8 { utf8 in
                sqlite3_bind_text64(statement, index, UnsafeRawPointer(utf8.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                                        .assumingMemoryBound(to: CChar.self),
                                    sqlite3_uint64(utf8.count), transientDestructor, UInt8(SQLITE_UTF8))
            }
        case .blob(let bytes):
            code = bytes.withUnsafeBytes { raw in
                // A zero-length blob still needs a non-null pointer, or SQLite stores NULL.
                sqlite3_bind_blob64(statement, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!,
                                    sqlite3_uint64(raw.count), transientDestructor)
            }
        }
        try check(code, "bind parameter \(index)")
    }

    /// Advances to the next row; false when done.
    public func step() throws(StoreError) -> Bool {
        let code = sqlite3_step(statement)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw .sqlite(code: code, operation: "step \(SQLiteConnection.abbreviate(sql))",
                               message: connection.lastErrorMessage, path: connection.path)
        }
    }

    /// Steps a statement that returns no rows.
    public func run(_ values: [SQLValue] = []) throws(StoreError) {
        try reset()
        try bind(values)
        while try step() {}
    }

    public func reset() throws(StoreError) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    public var columnCount: Int { Int(sqlite3_column_count(statement)) }

    public func value(at column: Int) -> SQLValue {
        let index = Int32(column)
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, index)))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let pointer = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }

    public func row() -> [SQLValue] { (0..<columnCount).map { value(at: $0) } }

    /// `operation` is built only on failure: binding runs for every metric row.
    private func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(StoreError) {
        if code != SQLITE_OK {
            throw .sqlite(code: code, operation: "\(operation()) of \(SQLiteConnection.abbreviate(sql))",
                          message: connection.lastErrorMessage, path: connection.path)
        }
    }
}

extension SQLValue {
    public var int: Int? { if case .integer(let v) = self { return Int(v) }; return nil }
    public var double: Double? {
        switch self {
        case .real(let v): return v
        case .integer(let v): return Double(v)
        default: return nil
        }
    }
    public var string: String? { if case .text(let v) = self { return v }; return nil }
    public var bytes: [UInt8]? { if case .blob(let v) = self { return v }; return nil }
}
