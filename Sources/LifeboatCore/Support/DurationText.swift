/// Parses and prints durations as documents write them: `500ms`, `90s`, `1h30m`, `2d`.
public enum DurationText {
    private static let units: [(suffix: String, millis: Int64)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Returns nil when `text` is not a duration. A bare number is not accepted: units are required.
    public static func parse(_ text: String) -> Duration? {
        guard let ms = parseMilliseconds(text) else { return nil }
        return .milliseconds(ms)
    }

    public static func parseMilliseconds(_ text: String) -> Int64? {
        let s = text.trimmingWhitespace()
        guard !s.isEmpty else { return nil }
        var total: Int64 = 0
        var index = s.startIndex
        while index < s.endIndex {
            let numberStart = index
            while index < s.endIndex, s[index].isASCII, s[index].isNumber { index = s.index(after: index) }
            guard numberStart < index, let number = Int64(s[numberStart..<index]) else { return nil }
            let unitStart = index
            while index < s.endIndex, s[index].isLetter { index = s.index(after: index) }
            let unit = String(s[unitStart..<index])
            guard let factor = units.first(where: { $0.suffix == unit })?.millis else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            total += product
        }
        return total
    }

    /// Formats milliseconds compactly: `1h05m`, `2m03s`, `4.2s`, `350ms`.
    public static func format(milliseconds ms: Int64) -> String {
        if ms < 0 { return "-" + format(milliseconds: -ms) }
        if ms < 1_000 { return "\(ms)ms" }
        if ms < 60_000 {
            let tenths = (ms + 50) / 100
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        let totalSeconds = ms / 1_000
        let hours = totalSeconds / 3_600
        let minutes = (totalSeconds % 3_600) / 60
        let seconds = totalSeconds % 60
        if hours > 0 { return "\(hours)h" + minutes.zeroPadded(2) + "m" }
        return "\(minutes)m" + seconds.zeroPadded(2) + "s"
    }

    public static func format(_ duration: Duration) -> String { format(milliseconds: duration.milliseconds) }
}

/// Parses sizes as documents write them: `16MB`, `512kB`, `1GiB`, `4096` (bytes).
/// KB, MB and GB are powers of 1024, as PostgreSQL reads them; KiB, MiB and GiB mean the same.
public enum SizeText {
    public static func parseBytes(_ text: String) -> Int64? {
        let s = text.trimmingWhitespace()
        var digitsEnd = s.startIndex
        while digitsEnd < s.endIndex, s[digitsEnd].isASCII, s[digitsEnd].isNumber { digitsEnd = s.index(after: digitsEnd) }
        guard digitsEnd > s.startIndex, let number = Int64(s[..<digitsEnd]) else { return nil }
        let unit = s[digitsEnd...].trimmingWhitespace().lowercased()
        let factor: Int64
        switch unit {
        case "", "b": factor = 1
        case "kb", "kib", "k": factor = 1 << 10
        case "mb", "mib", "m": factor = 1 << 20
        case "gb", "gib", "g": factor = 1 << 30
        case "tb", "tib", "t": factor = 1 << 40
        default: return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }
}

extension Duration {
    /// Whole milliseconds (truncated).
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
