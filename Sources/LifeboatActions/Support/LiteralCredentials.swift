import LifeboatCore

/// Secret-bearing parameters written into a document instead of read from `${secrets.…}`: a run
/// pins its documents, so a password written there is stored with every run of it. `validate`
/// refuses them (each action's `check` calls these); the step's secrets stay out of the store.
enum LiteralCredentials {
    /// `keys` hold a secret as a whole (`key_secret`, `token`).
    static func wholeValues(_ with: [String: Value], _ keys: [String]) -> [ParameterProblem] {
        keys.compactMap { key in
            guard let text = with[key]?.stringValue, !text.isEmpty, !CredentialText.fromSecret(text) else { return nil }
            return ParameterProblem(
                path: [key], problem: "is written in the document, which every run stores: read it from a secret, such as \(key): ${secrets.\(key)}")
        }
    }

    /// `keys` are PostgreSQL conninfos or URIs: a password in them must come from a secret.
    static func conninfos(_ with: [String: Value], _ keys: [String]) -> [ParameterProblem] {
        keys.compactMap { key in
            guard let text = with[key]?.stringValue, CredentialText.literalPassword(in: text) else { return nil }
            return ParameterProblem(
                path: [key],
                problem: "holds a password written in the document, which every run stores: use password=${secrets.NAME}, a .pgpass file or PGSERVICE")
        }
    }

    /// `key` is a URL: a password in its user part must come from a secret.
    static func url(_ with: [String: Value], _ key: String) -> [ParameterProblem] {
        guard let text = with[key]?.stringValue, text.contains("://"), CredentialText.literalPassword(in: text) else { return [] }
        return [ParameterProblem(
            path: [key], problem: "holds a password written in the document, which every run stores: put ${secrets.NAME} in its place")]
    }

    /// `key` is a map of HTTP headers: credentials in them must come from a secret.
    static func headers(_ with: [String: Value], _ key: String) -> [ParameterProblem] {
        guard case .map(let headers)? = with[key] else { return [] }
        let carrying = ["authorization", "proxy-authorization", "cookie", "x-api-key"]
        return headers.keys.sorted().compactMap { name in
            guard carrying.contains(name.lowercased()), let value = headers[name]?.stringValue, !CredentialText.fromSecret(value)
            else { return nil }
            return ParameterProblem(
                path: [key, name],
                problem: "is a credential written in the document, which every run stores: write it as \"Bearer ${secrets.NAME}\"")
        }
    }
}
