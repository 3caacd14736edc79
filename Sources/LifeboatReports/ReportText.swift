import LifeboatCore
/// Text helpers the report renderers share: escaping for each output language, UTC timestamps
/// and durations. Pure functions, no Foundation formatters (reports must render the same anywhere).
public enum ReportText {
    /// Escapes text for HTML and SVG element content and attribute values (double or single quoted).
    public static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if isControl(scalar) { out += " " } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// Escapes text for XML content and attributes, dropping characters XML 1.0 cannot carry.
    public static func xml(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            case "\r": out += "&#13;"
            default:
                if isControl(scalar) || (0xFFFE...0xFFFF).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Escapes text for one Markdown table cell or line: no table breaks, no HTML, no formatting.
    public static func markdown(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\", "|", "<", ">", "`", "*", "[", "]", "#":
                out += "\\"
                out.unicodeScalars.append(scalar)
            case "\n", "\r", "\t": out += " "
            default:
                if isControl(scalar) { out += " " } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" || scalar.value == 0x7F
    }

    /// `2026-11-29T03:15:02.123Z` for milliseconds since 1970, UTC.
    public static func timestamp(_ ms: Int64) -> String { UTCCalendar.iso(ms) }

    /// `2026-11-29 03:15:02 UTC`: for people.
    public static func readableTime(_ ms: Int64) -> String {
        let iso = timestamp(ms)
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8)) + " UTC"
    }

    /// `03:15:02.123`: time of day only, for tables where the date is in the header.
    public static func timeOfDay(_ ms: Int64) -> String {
        String(timestamp(ms).dropFirst(11).prefix(12))
    }

    /// Seconds with millisecond precision (`12.345`), as JUnit's `time` attribute wants.
    public static func seconds(_ ms: Int64) -> String {
        let ms = max(ms, 0)
        return "\(ms / 1_000).\((ms % 1_000).zeroPadded(3))"
    }

    public static func duration(_ ms: Int64) -> String { DurationText.format(milliseconds: ms) }
}
