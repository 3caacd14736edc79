/// RDATA in presentation form (RFC 1035 §5.1), as zone files, dig and nsupdate write it.
///
/// Names in RDATA are absolute (the trailing dot is optional). TXT takes character-strings as a
/// zone file does: quoted (`"v=spf1 -all" "second"`) or unquoted words, each word one string. Any
/// type accepts RFC 3597's generic `\# LENGTH HEX`.
extension RData {
    public init(parsing text: String, type: RRType) throws(DNSWireError) {
        let trimmed = text.trimmingWhitespace
        if trimmed.hasPrefix("\\#") {
            self = try Self.generic(trimmed, type: type)
            return
        }
        let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        func need(_ n: Int, _ shape: String) throws(DNSWireError) {
            guard fields.count == n else { throw .badText("\(type) record '\(text)' must be \(shape)") }
        }
        switch type {
        case .a:
            try need(1, "an IPv4 address such as 10.0.0.7")
            guard let b = IPAddressText.parseIPv4(fields[0]) else { throw .badText("'\(text)' is not an IPv4 address") }
            self = .a(b)
        case .aaaa:
            try need(1, "an IPv6 address such as 2001:db8::7")
            guard let b = IPAddressText.parseIPv6(fields[0]) else { throw .badText("'\(text)' is not an IPv6 address") }
            self = .aaaa(b)
        case .cname:
            try need(1, "one name such as db-dr.example.test.")
            self = .cname(try DNSName(fields[0]))
        case .ns:
            try need(1, "one name such as ns1.example.test.")
            self = .ns(try DNSName(fields[0]))
        case .srv:
            try need(4, "PRIORITY WEIGHT PORT TARGET, such as 10 5 5432 db.example.test.")
            guard let p = UInt16(fields[0]), let w = UInt16(fields[1]), let port = UInt16(fields[2]) else {
                throw .badText("SRV record '\(text)': priority, weight and port are numbers 0-65535")
            }
            self = .srv(SRVData(priority: p, weight: w, port: port, target: try DNSName(fields[3])))
        case .soa:
            try need(7, "MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM")
            let numbers = fields[2...].compactMap { UInt32($0) }
            guard numbers.count == 5 else { throw .badText("SOA record '\(text)': the last five fields are numbers") }
            self = .soa(
                SOAData(
                    mname: try DNSName(fields[0]), rname: try DNSName(fields[1]), serial: numbers[0], refresh: numbers[1],
                    retry: numbers[2], expire: numbers[3], minimum: numbers[4]))
        case .txt:
            self = .txt(try Self.txtStrings(trimmed))
        default:
            throw .badText("\(type) records have no text form here; write them as \\# LENGTH HEX (RFC 3597)")
        }
    }

    /// Presentation form: `10.0.0.7`, `db.example.test.`, `"a" "b"`, `10 5 5432 db.example.test.`.
    public var presentation: String {
        switch self {
        case .a(let b): return b.map(String.init).joined(separator: ".")
        case .aaaa(let b): return IPAddressText.formatIPv6(b)
        case .cname(let n), .ns(let n): return n.description
        case .txt(let strings): return strings.map(Self.quoted).joined(separator: " ")
        case .srv(let s): return "\(s.priority) \(s.weight) \(s.port) \(s.target)"
        case .soa(let s): return "\(s.mname) \(s.rname) \(s.serial) \(s.refresh) \(s.retry) \(s.expire) \(s.minimum)"
        case .tsig(let t): return "\(t.algorithm) \(t.timeSigned) \(t.fudge) \(t.mac.count) bytes"
        case .raw(let b): return "\\# \(b.count)" + (b.isEmpty ? "" : " " + b.map { String($0, radix: 16).leftPadded(2) }.joined())
        }
    }

    static func quoted(_ s: [UInt8]) -> String {
        var out = "\""
        for b in s {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += "\\" + String(UnicodeScalar(b))
            case 0x20...0x7E: out += String(UnicodeScalar(b))
            default: out += "\\" + String(b).leftPadded(3, with: "0")
            }
        }
        return out + "\""
    }

    /// TXT RDATA as a zone file writes it (RFC 1035 §5.1): character-strings separated by
    /// whitespace, each a quoted string (`"two words"`) or an unquoted word (`plain`); `\X` and
    /// `\DDD` escape in both. `plain words unquoted` is three strings, as in a zone file and
    /// nsupdate. Each string holds at most 255 bytes.
    static func txtStrings(_ text: String) throws(DNSWireError) -> [[UInt8]] {
        let bytes = Array(text.utf8)
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        func isSpace(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        var strings: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            if isSpace(bytes[i]) { i += 1; continue }
            let quoted = bytes[i] == quote
            if quoted { i += 1 }
            var current: [UInt8] = []
            var closed = !quoted
            while i < bytes.count {
                let b = bytes[i]
                if quoted, b == quote { closed = true; i += 1; break }
                if !quoted, isSpace(b) { break }
                if !quoted, b == quote {
                    throw .badText("TXT record '\(text)': a quote inside an unquoted word; quote the whole string or escape it as \\\"")
                }
                if b == backslash {
                    guard i + 1 < bytes.count else { throw .badText("TXT record '\(text)' ends with a lone backslash") }
                    let digits = bytes[(i + 1)..<min(i + 4, bytes.count)]
                    if digits.count == 3, digits.allSatisfy({ (0x30...0x39).contains($0) }) {
                        let v = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                        guard v <= 255 else { throw .badText("TXT record '\(text)': \\\(v) is over 255") }
                        current.append(UInt8(v))
                        i += 4
                    } else {
                        current.append(bytes[i + 1])
                        i += 2
                    }
                    continue
                }
                current.append(b)
                i += 1
            }
            guard closed else { throw .badText("TXT record '\(text)': unterminated quote") }
            if quoted, i < bytes.count, !isSpace(bytes[i]) {
                throw .badText("TXT record '\(text)': text right after a closing quote; separate strings with a space")
            }
            guard current.count <= 255 else {
                throw .badText("TXT record '\(text)': a string of \(current.count) bytes; at most 255, split it into several strings")
            }
            strings.append(current)
        }
        guard !strings.isEmpty else { throw .badText("TXT record is empty; write \"\" for one empty string") }
        return strings
    }

    static func generic(_ text: String, type: RRType) throws(DNSWireError) -> RData {
        let fields = text.split(separator: " ").map(String.init)
        guard fields.count >= 2, let length = Int(fields[1]) else { throw .badText("'\(text)': write \\# LENGTH HEX") }
        let hex = fields.dropFirst(2).joined()
        guard hex.count == length * 2 else { throw .badText("'\(text)': \(length) bytes need \(length * 2) hex digits") }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let b = UInt8(hex[index..<next], radix: 16) else { throw .badText("'\(text)': not hex") }
            bytes.append(b)
            index = next
        }
        // Re-read typed types so that equality with decoded answers holds.
        var w = WireWriter(compress: false)
        w.append(bytes)
        var r = WireReader(w.bytes)
        return try RData.decode(type, length: bytes.count, from: &r)
    }
}

/// IPv4 and IPv6 text forms, without the C library (this target is pure).
public enum IPAddressText {
    public static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let v = UInt8(p), String(v) == p else { return nil }
            out.append(v)
        }
        return out
    }

    public static func parseIPv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedByString: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if i == parts.count - 1, p.contains("."), let v4 = parseIPv4(String(p)) {
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard (1...4).contains(p.count), let v = UInt16(p, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`.
    public static func formatIPv6(_ b: [UInt8]) -> String {
        guard b.count == 16 else { return "\\# \(b.count)" }
        let g = (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8, g[j] == 0 { j += 1 }
                if j - i > bestLength { bestStart = i; bestLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ r: ArraySlice<UInt16>) -> String { r.map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestLength >= 2 else { return hex(g[...]) }
        return hex(g[0..<bestStart]) + "::" + hex(g[(bestStart + bestLength)...])
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" { s = s.dropLast() }
        return String(s)
    }

    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    func components(separatedByString separator: String) -> [String] {
        var out: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            out.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        out.append(String(rest))
        return out
    }
}
