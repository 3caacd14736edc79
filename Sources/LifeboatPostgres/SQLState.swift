/// Names and retry rules for the SQLSTATEs Lifeboat meets most (PostgreSQL's errcodes.txt).
enum SQLState {
    private static let names: [String: String] = [
        "08000": "connection_exception", "08003": "connection_does_not_exist", "08006": "connection_failure",
        "08001": "sqlclient_unable_to_establish_sqlconnection", "08004": "sqlserver_rejected_establishment_of_sqlconnection",
        "08P01": "protocol_violation",
        "22P02": "invalid_text_representation", "22003": "numeric_value_out_of_range", "22012": "division_by_zero",
        "23502": "not_null_violation", "23503": "foreign_key_violation", "23505": "unique_violation",
        "23514": "check_violation",
        "25006": "read_only_sql_transaction", "25P02": "in_failed_sql_transaction",
        "28000": "invalid_authorization_specification", "28P01": "invalid_password",
        "3D000": "invalid_catalog_name", "3F000": "invalid_schema_name",
        "40001": "serialization_failure", "40P01": "deadlock_detected",
        "42501": "insufficient_privilege", "42601": "syntax_error", "42703": "undefined_column",
        "42883": "undefined_function", "42P01": "undefined_table", "42P07": "duplicate_table",
        "42P02": "undefined_parameter", "42P18": "indeterminate_datatype",
        "53000": "insufficient_resources", "53100": "disk_full", "53200": "out_of_memory",
        "53300": "too_many_connections",
        "55000": "object_not_in_prerequisite_state", "55P03": "lock_not_available",
        "57014": "query_canceled", "57P01": "admin_shutdown", "57P02": "crash_shutdown",
        "57P03": "cannot_connect_now", "58030": "io_error",
        "XX000": "internal_error", "XX001": "data_corrupted",
    ]

    /// `read_only_sql_transaction` for `25006`; nil for codes not in the table.
    static func name(_ code: String) -> String? { names[code] }

    /// Whether trying again may help: broken connections, serialization failures and deadlocks,
    /// exhausted resources, lock timeouts, cancels and shutdowns.
    static func isRetryable(_ code: String) -> Bool {
        switch code.prefix(2) {
        case "08", "40", "53": return true
        default: return ["55P03", "57014", "57P01", "57P02", "57P03"].contains(code)
        }
    }
}
