import LifeboatCore

/// A `postgres.query` step's `with:` block, checked.
struct PostgresQueryParameters: Sendable {
    static let defaultTimeoutMs: Int64 = 30_000

    var conninfo: String
    var sql: String
    /// `$1…$n`, as text; nil is SQL NULL.
    var params: [String?]
    var expectRows: Int?
    var expectValue: String?
    var maxLatencyMs: Int64?
    var timeoutMs: Int64

    init(_ context: ActionContext) throws(LifeboatError) {
        conninfo = try context.requiredString("conninfo")
        sql = try context.requiredString("sql")
        guard !sql.allSatisfy(\.isWhitespace) else { throw context.badParameter("sql", "is empty") }
        params = try Self.statementParams(context)
        expectRows = try context.int("expect_rows")
        if let expectRows, expectRows < 0 { throw context.badParameter("expect_rows", "must be 0 or more") }
        expectValue = try context.string("expect_value")
        maxLatencyMs = try context.durationMs("max_latency")
        timeoutMs = try context.durationMs("timeout") ?? Self.defaultTimeoutMs
        guard timeoutMs > 0 else { throw context.badParameter("timeout", "must be longer than 0ms") }
    }

    /// `params: [42, "O'Brien", null]` → `["42", "O'Brien", nil]`: bound as text, the server casts.
    private static func statementParams(_ context: ActionContext) throws(LifeboatError) -> [String?] {
        guard let value = context.params["params"], value != .null else { return [] }
        guard case .list(let items) = value else {
            throw context.badParameter("params", "must be a list of values for $1, $2, …")
        }
        var out: [String?] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .null: out.append(nil)
            case .string, .int, .double, .bool: out.append(item.renderedText)
            case .list, .map: throw context.badParameter("params", "item \(index + 1) must be a string, number, boolean or null")
            }
        }
        return out
    }
}
