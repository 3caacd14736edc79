/// UTC calendar arithmetic on Unix milliseconds, without Foundation (Howard Hinnant's civil-date
/// algorithms), so that schedule computations are pure and the same on every machine.
public enum UTCCalendar {
    public static let dayMs: Int64 = 86_400_000

    /// A calendar date and time of day in UTC.
    public struct Civil: Sendable, Hashable {
        public var year: Int64
        public var month: Int64
        public var day: Int64
        public var msOfDay: Int64
    }

    /// The UTC calendar fields of `ms`.
    public static func civil(_ ms: Int64) -> Civil {
        let days = floorDiv(ms, dayMs)
        let (y, m, d) = civilFromDays(days)
        return Civil(year: y, month: m, day: d, msOfDay: ms - days * dayMs)
    }

    /// Milliseconds of a UTC calendar date and time; the day is clamped to the month's length.
    public static func ms(_ c: Civil) -> Int64 {
        let day = min(c.day, daysIn(month: c.month, year: c.year))
        return daysFromCivil(c.year, c.month, day) * dayMs + c.msOfDay
    }

    /// `ms` plus `months` calendar months (the 31st becomes the last day of a shorter month).
    public static func adding(months: Int64, to ms: Int64) -> Int64 {
        var c = civil(ms)
        let total = c.year * 12 + (c.month - 1) + months
        c.year = floorDiv(total, 12)
        c.month = total - c.year * 12 + 1
        return self.ms(c)
    }

    /// ISO 8601 UTC with milliseconds, e.g. `2026-11-29T03:15:02.123Z`.
    ///
    /// The digits are written straight into the string's 24 bytes: every progress line starts with
    /// one of these, and seven padded interpolations cost about 8,000 instructions a call.
    public static func iso(_ ms: Int64) -> String {
        let c = civil(ms)
        let s = c.msOfDay / 1000
        guard (0...9_999).contains(c.year) else {
            let date = [c.year.zeroPadded(4), c.month.zeroPadded(2), c.day.zeroPadded(2)].joined(separator: "-")
            let time = [s / 3600, s / 60 % 60, s % 60].map { $0.zeroPadded(2) }.joined(separator: ":")
            return date + "T" + time + "." + (c.msOfDay % 1000).zeroPadded(3) + "Z"
        }
        return String(unsafeUninitializedCapacity: 24) { bytes in
            var at = 0
            func digits(_ value: Int64, _ width: Int, then separator: Unicode.Scalar) {
                var rest = value
                for i in stride(from: at + width - 1, through: at, by: -1) {
                    bytes[i] = UInt8(truncatingIfNeeded: 48 + rest % 10)
                    rest /= 10
                }
                bytes[at + width] = UInt8(ascii: separator)
                at += width + 1
            }
            digits(c.year, 4, then: "-")
            digits(c.month, 2, then: "-")
            digits(c.day, 2, then: "T")
            digits(s / 3600, 2, then: ":")
            digits(s / 60 % 60, 2, then: ":")
            digits(s % 60, 2, then: ".")
            digits(c.msOfDay % 1000, 3, then: "Z")
            return at
        }
    }

    /// `20261129-031502`: the UTC date and time of `ms` to the second, digits only (run ids start so).
    public static func compactStamp(_ ms: Int64) -> String {
        let c = civil(ms)
        let s = c.msOfDay / 1000
        let date = c.year.zeroPadded(4) + c.month.zeroPadded(2) + c.day.zeroPadded(2)
        return date + "-" + [s / 3600, s / 60 % 60, s % 60].map { $0.zeroPadded(2) }.joined()
    }

    /// `YYYY-MM-DD` of `ms` in UTC.
    public static func date(_ ms: Int64) -> String { String(iso(ms).prefix(10)) }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]` with an optional `Z` (UTC is assumed) or,
    /// after a time, an offset `+HH`, `+HH:MM`, `-HHMM`; a space may stand for `T` (PostgreSQL's
    /// `2026-03-01 09:14:00.123+00`). Nil when `text` is not such a date.
    public static func parseISO(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= chars.count else { return nil }
            var n: Int64 = 0
            for c in chars[from..<(from + count)] {
                guard c >= 48, c <= 57 else { return nil }
                n = n * 10 + Int64(c - 48)
            }
            return n
        }
        guard chars.count >= 10, let y = number(0, 4), chars[4] == 45, let m = number(5, 2), chars[7] == 45,
            let d = number(8, 2), (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y)
        else { return nil }
        var msOfDay: Int64 = 0
        var i = 10
        if i < chars.count, chars[i] == 84 || chars[i] == 32 {  // T or space
            guard let hh = number(i + 1, 2), i + 3 < chars.count, chars[i + 3] == 58, let mm = number(i + 4, 2),
                hh < 24, mm < 60
            else { return nil }
            msOfDay = (hh * 3600 + mm * 60) * 1000
            i += 6
            if i < chars.count, chars[i] == 58 {
                guard let ss = number(i + 1, 2), ss < 60 else { return nil }
                msOfDay += ss * 1000
                i += 3
                if i < chars.count, chars[i] == 46 {
                    var digits = 0
                    var frac: Int64 = 0
                    i += 1
                    while i < chars.count, chars[i] >= 48, chars[i] <= 57 {
                        if digits < 3 { frac = frac * 10 + Int64(chars[i] - 48) }
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    var scale = digits
                    while scale < 3 {
                        frac *= 10
                        scale += 1
                    }
                    msOfDay += frac
                }
            }
        }
        var offsetMs: Int64 = 0
        if i < chars.count, chars[i] == 90 {  // Z
            i += 1
        } else if i > 10, i < chars.count, chars[i] == 43 || chars[i] == 45 {  // +HH, +HH:MM, +HHMM (after a time)
            let sign: Int64 = chars[i] == 43 ? 1 : -1
            guard let hh = number(i + 1, 2), hh < 24 else { return nil }
            i += 3
            var mm: Int64 = 0
            if i < chars.count {
                if chars[i] == 58 { i += 1 }
                guard let minutes = number(i, 2), minutes < 60 else { return nil }
                mm = minutes
                i += 2
            }
            offsetMs = sign * (hh * 60 + mm) * 60_000
        }
        guard i == chars.count else { return nil }
        return daysFromCivil(y, m, d) * dayMs + msOfDay - offsetMs
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

/// `--since` / `--until` values: an ISO date or date-time (UTC), or a duration back from now
/// (`90d`, `12h`, `2w`).
public enum TimeBound {
    /// Milliseconds since the epoch, or nil when `text` is neither form.
    public static func parse(_ text: String, now: Int64) -> Int64? {
        if let ms = UTCCalendar.parseISO(text) { return ms }
        var t = text
        var factor: Int64 = 1
        if t.hasSuffix("w"), t.count > 1, Int64(t.dropLast()) != nil {
            t = String(t.dropLast()) + "d"
            factor = 7
        }
        guard let back = DurationText.parseMilliseconds(t) else { return nil }
        return now - back * factor
    }
}
