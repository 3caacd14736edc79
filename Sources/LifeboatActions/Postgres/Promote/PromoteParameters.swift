import LifeboatCore
import LifeboatPostgres

/// A `postgres.promote` step's `with:` block, checked.
struct PromoteParameters: Sendable {
    static let defaultWaitSeconds = 60
    static let defaultTimeoutMs: Int64 = 30_000
    /// How long `run` waits for the replica to replay up to the old primary's fenced position.
    static let catchUpMs: Int64 = 10_000

    /// The most replication lag accepted: bytes not yet replayed, or time since the last replayed commit.
    enum MaxLag: Sendable, Hashable, CustomStringConvertible {
        case bytes(Int64)
        case milliseconds(Int64)

        var description: String {
            switch self {
            case .bytes(let b): return LSN.formatBytes(b)
            case .milliseconds(let ms): return DurationText.format(milliseconds: ms)
            }
        }
    }

    var conninfo: String
    var primaryConninfo: String?
    var maxLag: MaxLag?
    /// The stopping fence (`fence: {argv}` or `fence: {soft_then: {argv}}`), run like a `command` step.
    var fence: CommandInvocation?
    /// Make the old primary read-only by SQL first (`soft_fence: true`, or `fence: {soft_then: …}`);
    /// with a stopping fence too, its final position is read between the two.
    var softFence: Bool
    /// `on_fence_unverified: promote`: promote even when the old primary still takes writes after
    /// the fence (the RPO is then "not bounded"); by default the step refuses.
    var promoteUnverified: Bool
    var waitSeconds: Int
    /// The write-check table as written (validated: `name` or `schema.name`, each part an identifier).
    var writeCheck: [String]?
    /// Bounds each connection and statement (pg_promote gets `wait_seconds` on top).
    var timeoutMs: Int64

    init(_ context: ActionContext) throws(LifeboatError) {
        conninfo = try context.requiredString("conninfo")
        primaryConninfo = try context.string("primary_conninfo").flatMap { $0.isEmpty ? nil : $0 }
        maxLag = try Self.maxLag(context)
        softFence = try context.bool("soft_fence") ?? false
        waitSeconds = try context.int("wait_seconds") ?? Self.defaultWaitSeconds
        guard (1...3_600).contains(waitSeconds) else { throw context.badParameter("wait_seconds", "must be between 1 and 3600") }
        timeoutMs = try context.durationMs("timeout") ?? Self.defaultTimeoutMs
        guard timeoutMs > 0 else { throw context.badParameter("timeout", "must be longer than 0ms") }
        if let table = try context.string("write_check"), !table.isEmpty {
            writeCheck = try Self.identifierParts(table, context)
        }
        if let value = context.params["fence"], value != .null {
            guard case .map(var map) = value else { throw context.badParameter("fence", "must be a map {argv: [...]} or {soft_then: {argv: [...]}}") }
            var field = "fence"
            if let then = map["soft_then"] {
                guard map.count == 1, case .map(let inner) = then else {
                    throw context.badParameter("fence.soft_then", "must be the fence's only key, a map {argv: [...]}")
                }
                map = inner
                field = "fence.soft_then"
                softFence = true
            }
            if let extra = map.keys.sorted().first(where: { $0 != "argv" }) {
                throw context.badParameter("\(field).\(extra)", "is not known; a fence takes argv only (no shell)")
            }
            guard map["argv"] != nil else { throw context.badParameter("\(field).argv", "is required") }
            fence = try CommandInvocation.parse(
                map, environment: [:], workingDirectory: context.baseDirectory, field: field, context: context)
        }
        switch try context.string("on_fence_unverified") ?? "refuse" {
        case "refuse": promoteUnverified = false
        case "promote": promoteUnverified = true
        case let other: throw context.badParameter("on_fence_unverified", "must be refuse or promote, not '\(other)'")
        }
        if fence != nil, primaryConninfo == nil {
            throw context.badParameter("fence", "needs primary_conninfo: the fence is checked by connecting to the old primary before promoting")
        }
        if softFence, primaryConninfo == nil {
            throw context.badParameter("soft_fence", "needs primary_conninfo (the old primary to make read-only)")
        }
    }

    /// `16MB` / `4096` → bytes; `5s` → a duration.
    private static func maxLag(_ context: ActionContext) throws(LifeboatError) -> MaxLag? {
        guard let value = context.params["max_lag"], value != .null else { return nil }
        switch value {
        case .int(let i) where i >= 0: return .bytes(Int64(i))
        case .string(let s):
            let text = s.trimming(" \t\n")
            if text.isEmpty { return nil }
            if let ms = DurationText.parseMilliseconds(text) { return .milliseconds(ms) }
            if let bytes = SizeText.parseBytes(text) { return .bytes(bytes) }
        default: break
        }
        throw context.badParameter("max_lag", "must be a size such as 16MB or a duration such as 30s")
    }

    /// `audit.write_probe` → `["audit", "write_probe"]`; each part a plain identifier (letters, digits,
    /// `_`, not starting with a digit, at most 63 bytes). Anything else is refused, not quoted away.
    static func identifierParts(_ text: String, _ context: ActionContext) throws(LifeboatError) -> [String] {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy(isPlainIdentifier) else {
            throw context.badParameter(
                "write_check", "must be a table name like probe or schema.probe (letters, digits, _), not '\(text)'")
        }
        return parts
    }

    static func isPlainIdentifier(_ part: String) -> Bool {
        guard let first = part.unicodeScalars.first, part.utf8.count <= 63 else { return false }
        guard first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return part.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}

/// A WAL position (`16/B374D848`) as a 64-bit number, for comparisons and byte distances.
struct LSN: Sendable, Hashable, Comparable, CustomStringConvertible {
    var value: UInt64

    init(_ value: UInt64) { self.value = value }

    init?(_ text: String?) {
        guard let text, let slash = text.firstIndex(of: "/"),
            let high = UInt64(text[..<slash], radix: 16), let low = UInt64(text[text.index(after: slash)...], radix: 16),
            high <= UInt64(UInt32.max), low <= UInt64(UInt32.max)
        else { return nil }
        value = high << 32 | low
    }

    var description: String { String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true) }

    static func < (a: LSN, b: LSN) -> Bool { a.value < b.value }

    /// Bytes from `other` up to `self`; 0 when `other` is at or past it.
    func bytes(after other: LSN) -> Int64 { value > other.value ? Int64(clamping: value - other.value) : 0 }

    /// `0 bytes`, `812 bytes`, `3.2MB`.
    static func formatBytes(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) bytes" }
        let units = ["kB", "MB", "GB", "TB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let rounded = (value * 10).rounded() / 10
        let text = rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        return text + units[unit]
    }
}
