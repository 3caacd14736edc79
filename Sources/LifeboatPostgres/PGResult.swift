import CLibPQ

/// The rows one statement returned, in text format: column names, and each value as libpq's text
/// (`t`/`f` for booleans, ISO dates) or nil for SQL NULL.
public struct PGResult: Sendable, Hashable {
    public var columns: [String]
    public var rows: [[String?]]
    /// The command tag: `SELECT 3`, `INSERT 0 1`, `UPDATE 2`.
    public var commandTag: String
    /// Rows an INSERT/UPDATE/DELETE/SELECT/… touched, from the command tag; nil for other commands.
    public var affectedRows: Int?

    public init(columns: [String], rows: [[String?]], commandTag: String, affectedRows: Int?) {
        self.columns = columns
        self.rows = rows
        self.commandTag = commandTag
        self.affectedRows = affectedRows
    }

    /// The first column of the first row; nil when there is none or it is NULL.
    public var firstValue: String? { rows.first?.first ?? nil }

    /// The value of `column` in row `row`; nil when NULL, out of range or no such column.
    public func value(row: Int, column: String) -> String? {
        guard rows.indices.contains(row), let index = columns.firstIndex(of: column) else { return nil }
        return rows[row][index]
    }

    /// Copies a `PGRES_TUPLES_OK` / `PGRES_COMMAND_OK` result out of libpq's memory.
    init(copying result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            rows.append(
                (0..<columnCount).map { c in
                    PQgetisnull(result, Int32(r), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(r), Int32(c)))
                })
        }
        self.rows = rows
        commandTag = String(cString: PQcmdStatus(result))
        affectedRows = Int(String(cString: PQcmdTuples(result)))
    }
}
