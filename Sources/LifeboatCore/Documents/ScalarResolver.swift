import Yams

/// Types a YAML scalar the way Yams' default resolver does (YAML 1.1: bool, int, float, null),
/// with hand-written matchers instead of regular expressions.
enum ScalarResolver {
    static func value(of scalar: Node.Scalar) -> Value {
        let text = scalar.string
        switch scalar.tag.rawValue {
        case "":
            guard scalar.style == .plain || scalar.style == .any else { return .string(text) }
            return resolvePlain(text)
        case "tag:yaml.org,2002:int":
            return int(text).map(Value.int) ?? .string(text)
        case "tag:yaml.org,2002:float":
            return float(text).map(Value.double) ?? .string(text)
        case "tag:yaml.org,2002:bool":
            return bool(text).map(Value.bool) ?? .string(text)
        case "tag:yaml.org,2002:null":
            return .null
        default:
            return .string(text)
        }
    }

    /// Resolves an untagged plain scalar.
    static func resolvePlain(_ text: String) -> Value {
        // Most plain scalars are words: only these first characters can start a non-string.
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
            UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"),
            UInt8(ascii: "O"):
            break
        default:
            return .string(text)
        }
        if let b = bool(text) { return .bool(b) }
        // Text with a letter other than the few that numbers use (`1s`, `16MB`, `500ms`) is a string.
        if text.utf8.contains(where: { b in
            (b >= UInt8(ascii: "g") && b <= UInt8(ascii: "z") && b != UInt8(ascii: "o") && b != UInt8(ascii: "x")
                && b != UInt8(ascii: "i") && b != UInt8(ascii: "n"))
                || b == UInt8(ascii: " ")
        }) {
            return text == "null" || text == "Null" ? .null : .string(text)
        }
        if isInt(text), let i = int(text) { return .int(i) }
        if isFloat(text), let d = float(text) { return .double(d) }
        if text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL" { return .null }
        return .string(text)
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return true
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    // MARK: - Integers

    private static func isInt(_ text: String) -> Bool {
        var s = Substring(text)
        if s.first == "-" || s.first == "+" { s = s.dropFirst() }
        guard let first = s.first else { return false }
        if s.hasPrefix("0b") { return s.count > 2 && s.dropFirst(2).allSatisfy { $0 == "0" || $0 == "1" || $0 == "_" } }
        if s.hasPrefix("0x") { return s.count > 2 && s.dropFirst(2).allSatisfy { $0.isHexDigit || $0 == "_" } }
        if s.hasPrefix("0o") { return s.count > 2 && s.dropFirst(2).allSatisfy { isOctal($0) || $0 == "_" } }
        if s == "0" { return true }
        if first == "0" { return s.dropFirst().allSatisfy { isOctal($0) || $0 == "_" } }
        guard isDigit(first) else { return false }
        if s.utf8.contains(UInt8(ascii: ":")) { return isSexagesimal(s, fraction: false) }
        return s.allSatisfy { isDigit($0) || $0 == "_" }
    }

    /// The integer value, read as Yams' Int constructor reads it.
    static func int(_ text: String) -> Int? {
        let cleaned = text.replacing("_", with: "")
        if cleaned == "0" { return 0 }
        let negative = cleaned.hasPrefix("-")
        let hasSign = negative || cleaned.hasPrefix("+")
        let sign = negative ? "-" : ""
        let digits = cleaned.dropFirst(hasSign ? 1 : 0)
        for (prefix, radix) in [("0x", 16), ("0b", 2), ("0o", 8), ("0", 8)] where digits.hasPrefix(prefix) {
            return Int(sign + digits.dropFirst(prefix.count), radix: radix)
        }
        if digits.contains(":") {
            var total = 0
            for part in digits.split(separator: ":") {
                guard let n = Int(part) else { return nil }
                total = total * 60 + n
            }
            return negative ? -total : total
        }
        return Int(cleaned)
    }

    // MARK: - Floats

    private static func isFloat(_ text: String) -> Bool {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            return true
        default: break
        }
        var s = Substring(text)
        if s.first == "." {
            // \.[0-9_]+(?:[eE][-+][0-9]+)?
            s = s.dropFirst()
            let mantissa = s.prefix { isDigit($0) || $0 == "_" }
            guard !mantissa.isEmpty else { return false }
            let rest = s.dropFirst(mantissa.count)
            return rest.isEmpty || isExponent(rest, signRequired: true)
        }
        if s.first == "-" || s.first == "+" { s = s.dropFirst() }
        guard let first = s.first, isDigit(first) else { return false }
        if s.utf8.contains(UInt8(ascii: ":")) { return isSexagesimal(s, fraction: true) }
        let whole = s.prefix { isDigit($0) || $0 == "_" }
        var rest = s.dropFirst(whole.count)
        if rest.first == "." {
            rest = rest.dropFirst()
            rest = rest.drop { isDigit($0) || $0 == "_" }
        }
        return rest.isEmpty || isExponent(rest, signRequired: false)
    }

    static func float(_ text: String) -> Double? {
        switch text.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default: break
        }
        let cleaned = text.replacing("_", with: "")
        if cleaned.contains(":") {
            let negative = cleaned.hasPrefix("-")
            let body = cleaned.drop { $0 == "-" || $0 == "+" }
            var total = 0.0
            for part in body.split(separator: ":") {
                guard let n = Double(part) else { return nil }
                total = total * 60 + n
            }
            return negative ? -total : total
        }
        return Double(cleaned)
    }

    private static func isExponent(_ s: Substring, signRequired: Bool) -> Bool {
        guard s.first == "e" || s.first == "E" else { return false }
        var rest = s.dropFirst()
        if rest.first == "-" || rest.first == "+" {
            rest = rest.dropFirst()
        } else if signRequired {
            return false
        }
        return !rest.isEmpty && rest.allSatisfy(isDigit)
    }

    /// `[1-9][0-9_]*(:[0-5]?[0-9])+`, with an optional `.[0-9_]*` fraction for floats.
    private static func isSexagesimal(_ s: Substring, fraction: Bool) -> Bool {
        var parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let head = parts.first, let lead = head.first, lead != "0",
            head.allSatisfy({ isDigit($0) || $0 == "_" })
        else { return false }
        if fraction {
            guard let last = parts.last, let dot = last.firstIndex(of: ".") else { return false }
            guard last[last.index(after: dot)...].allSatisfy({ isDigit($0) || $0 == "_" }) else { return false }
            parts[parts.count - 1] = last[..<dot]
        }
        return parts.dropFirst().allSatisfy { part in
            guard (1...2).contains(part.count), part.allSatisfy(isDigit) else { return false }
            return part.count == 1 || part.first! <= "5"
        }
    }

    private static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
    private static func isOctal(_ c: Character) -> Bool { c >= "0" && c <= "7" }
}
