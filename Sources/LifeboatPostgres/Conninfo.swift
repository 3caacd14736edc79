import CLibPQ
import LifeboatCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading libpq connection strings — `host=db port=5432 password=…` or
/// `postgresql://user:pass@db:5432/app?sslmode=require` — without ever showing their password.
///
/// Lifeboat never rewrites a conninfo before handing it to libpq (so `.pgpass`, `PGSERVICE`,
/// `sslmode` and multi-host strings behave exactly as for psql); these helpers only *read* it: to
/// name the endpoint, and to mask the password in anything a person or a log may see.
public enum Conninfo {
    /// What replaces a password in `redacted(_:)` and in masked messages.
    public static let mask = "***"

    /// The conninfo with its password replaced by `***`: the `password=` value of the key=value form
    /// (quoted or not, wherever it appears), and in a URI both the `user:pass@` userinfo and a
    /// `?password=` query parameter. Anything else is kept as written.
    public static func redacted(_ conninfo: String) -> String {
        if isURI(conninfo) { return redactedURI(conninfo) }
        guard let pairs = KeywordPairs.parse(conninfo) else { return redactedLoosely(conninfo) }
        var out = ""
        var cursor = conninfo.startIndex
        for pair in pairs {
            out += conninfo[cursor..<pair.valueRange.lowerBound]
            if pair.key == "password" {
                out += mask
            } else {
                let value = String(conninfo[pair.valueRange])
                out += isURI(pair.value) ? value.replacing(pair.value, with: redactedURI(pair.value)) : value
            }
            cursor = pair.valueRange.upperBound
        }
        out += conninfo[cursor...]
        return out
    }

    /// Whether libpq reads `text` as a URI (`postgresql://` or `postgres://`).
    public static func isURI(_ text: String) -> Bool {
        let trimmed = text.drop { $0 == " " || $0 == "\t" || $0 == "\n" }
        return trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://")
    }

    /// Every spelling of a password the conninfo carries — as written (quoted, percent-encoded) and as
    /// libpq decodes it — for masking messages that might echo one.
    public static func passwords(in conninfo: String) -> [String] {
        var found = writtenPasswords(conninfo)
        if case .success(let options) = libpqParse(conninfo), let password = options["password"] { found.append(password) }
        return Array(Set(found.filter { !$0.isEmpty }))
    }

    /// The password as written in the text (quoted, percent-encoded) and its unescaped form.
    private static func writtenPasswords(_ conninfo: String) -> [String] {
        var found: [String] = []
        if isURI(conninfo) {
            found += uriPasswords(conninfo)
        } else if let pairs = KeywordPairs.parse(conninfo) {
            for pair in pairs {
                if pair.key == "password" { found += [pair.value, String(conninfo[pair.valueRange])] }
                if isURI(pair.value) { found += uriPasswords(pair.value) }
            }
        } else {
            // Not well-formed: whatever follows `password=`, with and without a leading quote.
            for match in conninfo.matches(of: /password\s*=\s*('?)(\S+)/) {
                found += [String(match.output.2), String(match.output.1 + match.output.2)]
            }
        }
        return found.filter { !$0.isEmpty }
    }

    /// A masker for everything derived from this conninfo: its passwords plus the caller's secrets.
    public static func masker(for conninfo: String, adding secrets: [String] = []) -> SecretMasker {
        SecretMasker(secrets: passwords(in: conninfo) + secrets)
    }

    /// The options the conninfo sets, parsed by libpq itself (`PQconninfoParse`): only what the text
    /// says, without environment or service-file defaults. Throws the parser's complaint, masked.
    public static func parse(_ conninfo: String) throws(LifeboatError) -> [String: String] {
        if let failure = LibPQLibrary.loadFailure() { throw LifeboatError(.actionFailed, failure, hint: LibPQLibrary.hint) }
        switch libpqParse(conninfo) {
        case .success(let options):
            return options
        case .failure(let reason):
            // Only the textual forms here: the decoded one needs a successful parse.
            let masked = SecretMasker(secrets: writtenPasswords(conninfo)).mask(reason.reason)
            throw LifeboatError(
                .invalidInput, "conninfo \(redacted(conninfo)) is not valid: \(masked)",
                hint: "write key=value pairs (host=… port=… dbname=…) or a postgresql:// URI")
        }
    }

    private struct ParseFailure: Error { var reason: String }

    private static func libpqParse(_ conninfo: String) -> Result<[String: String], ParseFailure> {
        if let failure = LibPQLibrary.loadFailure() { return .failure(ParseFailure(reason: failure)) }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "libpq could not parse it"
            if let errorMessage { PQfreemem(errorMessage) }
            return .failure(ParseFailure(reason: reason.trimmingTrailingWhitespace))
        }
        defer { PQconninfoFree(options) }
        var out: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { out[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return .success(out)
    }

    /// `postgres://HOST:PORT` of the first host the conninfo names (else `PGHOST`, else `localhost`;
    /// port from the conninfo, else `PGPORT`, else 5432), for the per-endpoint circuit breaker. Nil
    /// when libpq cannot parse the string.
    public static func endpoint(_ conninfo: String) -> String? {
        guard let options = try? parse(conninfo) else { return nil }
        let hosts = options["host"] ?? options["hostaddr"] ?? environment("PGHOST") ?? ""
        let ports = options["port"] ?? environment("PGPORT") ?? ""
        var host = hosts.split(separator: ",", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if host.isEmpty { host = "localhost" }
        if host.contains(":") && !host.hasPrefix("/") { host = "[\(host)]" }
        var port = ports.split(separator: ",", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if port.isEmpty { port = "5432" }
        return "postgres://\(host):\(port)"
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    // MARK: URI form

    /// `postgresql://user:***@host/db?password=***`.
    private static func redactedURI(_ uri: String) -> String {
        guard let schemeEnd = uri.firstRange(of: "://") else { return uri }
        let rest = uri[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var out = String(uri[..<schemeEnd.upperBound])
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                out += userinfo[...colon] + mask
            } else {
                out += userinfo
            }
            out += authority[at...]
        } else {
            out += authority
        }
        let tail = rest[authorityEnd...]
        guard let question = tail.firstIndex(of: "?") else { return out + tail }
        out += tail[...question]
        let query = tail[tail.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false)
        out += query.map { item -> String in
            guard let equals = item.firstIndex(of: "="), item[..<equals] == "password" else { return String(item) }
            return "password=" + mask
        }.joined(separator: "&")
        return out
    }

    /// The password of a URI as written: the userinfo's part after `:` and any `password=` value.
    private static func uriPasswords(_ uri: String) -> [String] {
        guard let schemeEnd = uri.firstRange(of: "://") else { return [] }
        let rest = uri[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var found: [String] = []
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            let raw = String(authority[authority.index(after: colon)..<at])
            found += [raw, raw.removingPercentEncodingOrSelf]
        }
        if let question = rest.firstIndex(of: "?") {
            for item in rest[rest.index(after: question)...].split(separator: "&") {
                guard let equals = item.firstIndex(of: "="), item[..<equals] == "password" else { continue }
                let raw = String(item[item.index(after: equals)...])
                found += [raw, raw.removingPercentEncodingOrSelf]
            }
        }
        return found
    }

    /// For text libpq would reject anyway: mask whatever follows `password` and `=`.
    private static func redactedLoosely(_ text: String) -> String {
        let pattern = /password\s*=\s*('(?:[^'\\]|\\.)*'?|\S+)/
        return text.replacing(pattern) { _ in "password=" + mask }
    }
}

/// The `key = value` pairs of a libpq keyword conninfo, tokenized the way libpq's
/// `conninfo_parse` does it (values unquoted up to whitespace, or single-quoted; `\` escapes).
struct KeywordPairs {
    struct Pair {
        var key: String
        /// The unescaped value.
        var value: String
        /// Where the value is written, quotes included.
        var valueRange: Range<String.Index>
    }

    /// Nil when the text is not a well-formed keyword conninfo.
    static func parse(_ text: String) -> [Pair]? {
        var pairs: [Pair] = []
        var i = text.startIndex
        func skipSpace() { while i < text.endIndex, text[i].isWhitespace { i = text.index(after: i) } }
        while true {
            skipSpace()
            guard i < text.endIndex else { return pairs }
            let keyStart = i
            while i < text.endIndex, text[i] != "=", !text[i].isWhitespace { i = text.index(after: i) }
            let key = String(text[keyStart..<i])
            skipSpace()
            guard i < text.endIndex, text[i] == "=", !key.isEmpty else { return nil }
            i = text.index(after: i)
            skipSpace()
            let valueStart = i
            var value = ""
            if i < text.endIndex, text[i] == "'" {
                i = text.index(after: i)
                var closed = false
                while i < text.endIndex {
                    let c = text[i]
                    i = text.index(after: i)
                    if c == "\\", i < text.endIndex {
                        value.append(text[i])
                        i = text.index(after: i)
                    } else if c == "'" {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { return nil }
            } else {
                while i < text.endIndex, !text[i].isWhitespace {
                    if text[i] == "\\", text.index(after: i) < text.endIndex { i = text.index(after: i) }
                    value.append(text[i])
                    i = text.index(after: i)
                }
            }
            pairs.append(Pair(key: key, value: value, valueRange: valueStart..<i))
        }
    }
}

extension String {
    /// The text with `%XX` escapes decoded, or unchanged when it has none or a broken one.
    var removingPercentEncodingOrSelf: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return self }
            bytes.append(value)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    var trimmingTrailingWhitespace: String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
