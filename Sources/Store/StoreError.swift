// The store's one error type: every case carries its evidence and says what to do next.

import CSQLite

public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The CLI's default --db, named in errors about a missing database.
    public static let defaultDatabasePath = "checkpoints/descent.db"

    case sqlite(code: Int32, operation: String, message: String, path: String)
    case cannotCreateDirectory(path: String, reason: String)
    case schemaTooNew(path: String, found: Int, supported: Int)
    case runNotFound(name: String)
    case runExists(name: String)
    case invalidRunName(name: String)
    case noCheckpoint(run: String)
    case checkpointNotFound(run: String, step: Int, available: [Int])
    case missingBlob(run: String, step: Int, name: String)
    case corruptBlob(step: Int, name: String, expected: String, found: String)
    case databaseNotFound(path: String)
    case notADatabase(path: String, reason: String)

    /// SQLite found the file damaged (SQLITE_CORRUPT) or not a database at all (SQLITE_NOTADB).
    public var isDamage: Bool {
        guard case .sqlite(let code, _, _, _) = self else { return false }
        return code & 0xff == SQLITE_CORRUPT || code & 0xff == SQLITE_NOTADB
    }

    public var description: String {
        switch self {
        case let .sqlite(code, operation, message, path) where isDamage:
            return "\(path): the database is damaged (SQLite error \(code), \(message), during \(operation)). `descent verify` reports what can still be read; restore the file from a backup or pass another --db."
        case let .sqlite(code, operation, message, path):
            let hint: String
            switch code & 0xff {
            case SQLITE_BUSY, SQLITE_LOCKED: hint = " Another process holds the database; wait for it or stop it."
            case SQLITE_NOTADB, SQLITE_CORRUPT: hint = " The file is not a Descent database or is damaged; pass another --db."
            case SQLITE_CANTOPEN: hint = " Check that the directory exists and is writable, or pass another --db."
            case SQLITE_FULL: hint = " The disk is full; free space and retry."
            case SQLITE_READONLY: hint = " The database is read-only; check its permissions."
            default: hint = ""
            }
            return "\(path): SQLite error \(code) (\(message)) during \(operation).\(hint)"
        case let .cannotCreateDirectory(path, reason):
            return "\(path): cannot create the database directory (\(reason)). Pass another --db."
        case let .schemaTooNew(path, found, supported):
            return "\(path): written by a newer Descent (schema \(found), this build reads up to \(supported)). Upgrade Descent or pass another --db."
        case let .runNotFound(name):
            return "no run named '\(name)'. `descent runs` lists the runs in this database."
        case let .runExists(name):
            return "a run named '\(name)' already exists. Choose another --run name, pass --overwrite to replace it, or continue it with `descent train --resume \(name)`."
        case let .invalidRunName(name):
            return "'\(name)' is not a valid run name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."
        case let .noCheckpoint(run):
            return "run '\(run)' has no checkpoint yet. Train it (`descent train --resume \(run)`) until it writes one."
        case let .checkpointNotFound(run, step, available):
            let list = available.isEmpty ? "none" : available.map(String.init).joined(separator: ", ")
            return "run '\(run)' has no checkpoint at step \(step) (available: \(list))."
        case let .missingBlob(run, step, name):
            return "run '\(run)': the checkpoint at step \(step) lacks its '\(name)' part; the database is damaged. Use another checkpoint (--checkpoint STEP)."
        case let .corruptBlob(step, name, expected, found):
            return "the checkpoint at step \(step) is damaged: its '\(name)' part fails its SHA-256 check (stored \(expected.prefix(12))…, read \(found.prefix(12))…). Use another checkpoint (--checkpoint STEP); `descent verify` checks them all."
        case let .databaseNotFound(path):
            return "\(path): no such database. Pass the --db that `descent train` wrote (default \(Self.defaultDatabasePath))."
        case let .notADatabase(path, reason):
            return "\(path): not a Descent database (\(reason)). Pass another --db, or restore the file from a backup."
        }
    }
}
