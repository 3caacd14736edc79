/// Finds the password in a PostgreSQL conninfo or a URI, to refuse one written in a document (a run
/// pins its documents, so it would be stored with every run) unless it comes from `${secrets.…}`.
public enum CredentialText {
    /// Whether `text` takes its secret part from a secret.
    public static func fromSecret(_ text: String) -> Bool { text.contains("${secrets.") }

    /// The value of `password=` in a keyword conninfo, or the password of a URI.
    public static func password(inConninfo text: String) -> String? {
        if text.contains("://") { return password(inURI: text) }
        guard let match = text.firstMatch(of: /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/) else { return nil }
        return String(match.1)
    }

    /// The password of `scheme://user:password@host…`, or of a `password=` query parameter.
    public static func password(inURI text: String) -> String? {
        if let match = text.firstMatch(of: /:\/\/[^\/@\s]*?:([^@\s]*)@/), !match.1.isEmpty { return String(match.1) }
        return text.firstMatch(of: /[?&]password=([^&\s]+)/).map { String($0.1) }
    }

    /// A password written in `text` (a conninfo or URI), not read from a secret.
    public static func literalPassword(in text: String) -> Bool {
        guard let password = password(inConninfo: text) else { return false }
        return !fromSecret(password)
    }
}
