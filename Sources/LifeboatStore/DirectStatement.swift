import GRDB
import GRDBSQLite

/// A statement GRDB prepared and cached on this connection, run through SQLite's C API: for the
/// few statements every step's append runs (its event rows, its step and run rows, the chain's
/// head), where GRDB's boxing of arguments and rows and its bookkeeping around each statement cost
/// more than SQLite's own work (docs/benchmarks.md).
///
/// Values are bound as GRDB binds them (text as a C string, integers as 64 bits, nil as NULL), and a
/// failure throws GRDB's `DatabaseError` with SQLite's extended code and message, so `StoreErrors`
/// and callers see what GRDB would have thrown. Only for the store's write transactions (their
/// `BEGIN`, `COMMIT` and `ROLLBACK` too, in `SQLiteStore.immediateTransaction`), on a connection no
/// GRDB observer watches (the store registers none).
struct DirectStatement {
    /// A value to bind.
    enum Value {
        case text(String?)
        case integer(Int64?)
    }

    private let statement: Statement

    init(_ sql: String, in db: Database) throws {
        statement = try db.cachedStatement(sql: sql)
    }

    /// Runs the statement (an INSERT or UPDATE) with `values` bound in order.
    func execute(_ values: [Value]) throws {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        try bind(values)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    /// Runs the statement (a SELECT) with `values` bound and reads its first row, nil if none.
    func first<T>(_ values: [Value] = [], _ read: (Columns) -> T) throws -> T? {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        try bind(values)
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return read(Columns(handle: handle))
        case SQLITE_DONE: return nil
        case let code: throw failure(code)
        }
    }

    /// The current row's columns, by position.
    struct Columns {
        fileprivate let handle: OpaquePointer

        func integer(_ column: Int32) -> Int64? {
            sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
        }

        func text(_ column: Int32) -> String? {
            sqlite3_column_text(handle, column).map { String(cString: $0) }
        }
    }

    private func bind(_ values: [Value]) throws {
        let handle = statement.sqliteStatement
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .text(let text?): code = sqlite3_bind_text(handle, index, text, -1, Self.transient)
            case .integer(let number?): code = sqlite3_bind_int64(handle, index, number)
            case .text(nil), .integer(nil): code = sqlite3_bind_null(handle, index)
            }
            guard code == SQLITE_OK else { throw failure(code) }
        }
    }

    private func failure(_ code: Int32) -> DatabaseError {
        let message = sqlite3_errmsg(sqlite3_db_handle(statement.sqliteStatement)).map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }

    /// SQLite copies the bound text (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
