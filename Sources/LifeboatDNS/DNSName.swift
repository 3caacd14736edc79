/// A domain name (RFC 1035 §3.1): labels of raw bytes, compared case-insensitively (ASCII).
///
/// Always absolute; the root is the name with no labels. Presentation form escapes `.`, `\`,
/// `"`, `;`, `(`, `)`, `@`, `$` and non-printable bytes (`\DDD`), as BIND and dig do.
public struct DNSName: Sendable, CustomStringConvertible {
    public static let maxLabelLength = 63
    public static let maxWireLength = 255

    /// The labels, most specific first (`www`, `example`, `test`).
    public let labels: [[UInt8]]

    public static let root = DNSName(uncheckedLabels: [])

    init(uncheckedLabels: [[UInt8]]) { labels = uncheckedLabels }

    /// A name from labels, checking the 63-byte label and 255-byte name limits.
    public init(labels: [[UInt8]]) throws(DNSWireError) {
        for label in labels {
            guard !label.isEmpty, label.count <= Self.maxLabelLength else {
                throw .badText("label of \(label.count) bytes: a label has 1 to 63 bytes")
            }
        }
        let wire = labels.reduce(1) { $0 + $1.count + 1 }
        guard wire <= Self.maxWireLength else { throw .badText("name of \(wire) bytes in wire form: at most 255") }
        self.labels = labels
    }

    /// Parses presentation form (`db.example.test.`, trailing dot optional, `\.` and `\DDD` escapes).
    public init(_ text: String) throws(DNSWireError) {
        if text == "." || text.isEmpty {
            guard text == "." else { throw .badText("empty name") }
            self = .root
            return
        }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        var endedWithDot = false
        while i < bytes.count {
            let b = bytes[i]
            endedWithDot = false
            if b == UInt8(ascii: ".") {
                guard !current.isEmpty else { throw .badText("name '\(text)' has an empty label") }
                labels.append(current)
                current = []
                endedWithDot = true
                i += 1
            } else if b == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { throw .badText("name '\(text)' ends with a lone backslash") }
                let next = bytes[i + 1]
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next) {
                    guard i + 3 < bytes.count,
                        bytes[(i + 1)...(i + 3)].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
                    else { throw .badText("name '\(text)': \\DDD needs three digits") }
                    let value = bytes[(i + 1)...(i + 3)].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                    guard value <= 255 else { throw .badText("name '\(text)': \\\(value) is over 255") }
                    current.append(UInt8(value))
                    i += 4
                } else {
                    current.append(next)
                    i += 2
                }
            } else {
                current.append(b)
                i += 1
            }
            if current.count > Self.maxLabelLength {
                throw .badText("name '\(text)' has a label longer than 63 bytes")
            }
        }
        if !endedWithDot {
            guard !current.isEmpty else { throw .badText("name '\(text)' has an empty label") }
            labels.append(current)
        }
        try self.init(labels: labels)
    }

    /// Wire length, uncompressed (root = 1).
    public var wireLength: Int { labels.reduce(1) { $0 + $1.count + 1 } }

    /// The name with every ASCII letter lowercased: RFC 4034 §6.2 canonical form, used by TSIG.
    public var lowercased: DNSName {
        DNSName(uncheckedLabels: labels.map { $0.map(Self.lower) })
    }

    /// The name one label up (`example.test.` for `www.example.test.`); the root stays the root.
    public var parent: DNSName { DNSName(uncheckedLabels: Array(labels.dropFirst())) }

    /// Whether this name equals `other` or lies below it.
    public func isSubdomain(of other: DNSName) -> Bool {
        guard labels.count >= other.labels.count else { return false }
        return DNSName(uncheckedLabels: Array(labels.suffix(other.labels.count))) == other
    }

    /// `label.self` — a name one level below this one.
    public func prepending(_ text: String) throws(DNSWireError) -> DNSName {
        let relative = try DNSName(text)
        return try DNSName(labels: relative.labels + labels)
    }

    public var description: String {
        if labels.isEmpty { return "." }
        var out = ""
        for label in labels {
            for b in label {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ";"), UInt8(ascii: "("),
                    UInt8(ascii: ")"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                    out += "\\" + String(UnicodeScalar(b))
                case 0x21...0x7E:
                    out += String(UnicodeScalar(b))
                default:
                    let digits = String(b)
                    out += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            out += "."
        }
        return out
    }

    static func lower(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b + 0x20 : b }
}

extension DNSName: Hashable {
    public static func == (a: DNSName, b: DNSName) -> Bool {
        guard a.labels.count == b.labels.count else { return false }
        for (x, y) in zip(a.labels, b.labels) {
            guard x.count == y.count else { return false }
            for (p, q) in zip(x, y) where lower(p) != lower(q) { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        for label in labels {
            hasher.combine(label.count)
            for b in label { hasher.combine(Self.lower(b)) }
        }
    }
}
