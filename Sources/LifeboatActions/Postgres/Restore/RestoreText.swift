import Foundation
import LifeboatCore

/// Pure text work for `postgres.restore`: validating values, quoting them for PostgreSQL's config
/// syntax and for the shell that runs `restore_command`, and reading `backup_label` and the server log.
enum RestoreText {
    // MARK: Validation

    /// A path we are willing to write into a config file and a shell command: no control characters,
    /// quotes, backslashes or `%` (PostgreSQL expands `%` in `restore_command`).
    static func isSafePath(_ path: String) -> Bool {
        !path.isEmpty && path.unicodeScalars.allSatisfy { scalar in
            scalar.value >= 0x20 && scalar.value != 0x7F && !"'\"\\%`$".unicodeScalars.contains(scalar)
        }
    }

    /// `0/3000060`: two hex numbers of up to 8 digits.
    static func isLSN(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.count <= 8 && $0.allSatisfy(\.isHexDigit) }
    }

    /// Starts like `YYYY-MM-DD` and holds only what a timestamptz literal holds; PostgreSQL parses it.
    static func isPlausibleTimestamp(_ text: String) -> Bool {
        let chars = Array(text)
        guard chars.count >= 10, chars.count <= 64, chars[4] == "-", chars[7] == "-",
            chars[0..<4].allSatisfy(\.isNumber), chars[5..<7].allSatisfy(\.isNumber), chars[8..<10].allSatisfy(\.isNumber)
        else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || " :.+-/_T".contains($0)) }
    }

    // MARK: Quoting

    /// A value in PostgreSQL's config-file syntax: single quotes, `'` doubled, `\` doubled.
    static func gucQuote(_ value: String) -> String {
        "'" + value.replacingAll("\\", with: "\\\\").replacingAll("'", with: "''") + "'"
    }

    /// A word for `/bin/sh`: single-quoted, `'` written as `'\''`.
    static func shellQuote(_ value: String) -> String {
        "'" + value.replacingAll("'", with: "'\\''") + "'"
    }

    /// `cp 'ARCHIVE'/%f %p` for `restore_command` (`%` in the path doubled so PostgreSQL keeps it).
    static func restoreCommand(archive: String) -> String {
        "cp " + shellQuote(archive).replacingAll("%", with: "%%") + "/%f %p"
    }

    // MARK: backup_label

    /// What `backup_label` says about a base backup.
    struct BackupLabel: Sendable, Hashable {
        var timeline: Int?
        /// `000000010000000000000002`
        var startSegment: String?
        var startTime: String?
    }

    static func parseBackupLabel(_ text: String) -> BackupLabel {
        var label = BackupLabel()
        for line in text.split(separator: "\n") {
            if line.hasPrefix("START TIMELINE:") {
                label.timeline = Int(line.dropFirst("START TIMELINE:".count).trimming(" \t\r"))
            } else if line.hasPrefix("START WAL LOCATION:"), let open = line.range(of: "(file "),
                let close = line[open.upperBound...].firstIndex(of: ")")
            {
                label.startSegment = String(line[open.upperBound..<close])
            } else if line.hasPrefix("START TIME:") {
                label.startTime = line.dropFirst("START TIME:".count).trimming(" \t\r")
            }
        }
        return label
    }

    /// `Latest checkpoint's TimeLineID:       1` from `pg_controldata`.
    static func controlDataTimeline(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("Latest checkpoint's TimeLineID:") {
            return Int(line.dropFirst("Latest checkpoint's TimeLineID:".count).trimming(" \t\r"))
        }
        return nil
    }

    // MARK: WAL segments

    /// A 24-hex-digit WAL segment name: timeline, log, segment.
    struct Segment: Sendable, Hashable, Comparable {
        var timeline: UInt32
        var log: UInt32
        var seg: UInt32

        init?(_ name: String) {
            guard name.utf8.count == 24, name.allSatisfy(\.isHexDigit) else { return nil }
            let chars = Array(name)
            guard let t = UInt32(String(chars[0..<8]), radix: 16), let l = UInt32(String(chars[8..<16]), radix: 16),
                let s = UInt32(String(chars[16..<24]), radix: 16)
            else { return nil }
            timeline = t
            log = l
            seg = s
        }

        init(timeline: UInt32, log: UInt32, seg: UInt32) {
            self.timeline = timeline
            self.log = log
            self.seg = seg
        }

        var name: String { hex8(timeline) + hex8(log) + hex8(seg) }

        static func < (a: Segment, b: Segment) -> Bool { (a.timeline, a.log, a.seg) < (b.timeline, b.log, b.seg) }

        private func hex8(_ v: UInt32) -> String {
            let digits = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: 8 - digits.count) + digits
        }
    }

    /// The first segment missing between `start` and the newest segment of `start`'s timeline among
    /// `names` (`segmentsPerLog` = 4 GiB / segment size: 256 for 16 MB segments).
    static func firstGap(in names: [String], from start: Segment, segmentsPerLog: UInt32 = 256) -> Segment? {
        let present = Set(names.compactMap(Segment.init).filter { $0.timeline == start.timeline && !($0 < start) })
        guard let newest = present.max() else { return nil }
        var current = start
        var steps = 0
        while current < newest, steps < 1_000_000 {
            if !present.contains(current), current != start { return current }
            current.seg += 1
            if current.seg >= segmentsPerLog { current.seg = 0; current.log += 1 }
            steps += 1
        }
        return nil
    }

    // MARK: Server log

    /// What the restored server's log says about recovery.
    struct RecoveryLog: Sendable, Hashable {
        /// `recovery stopping before commit of transaction 745, time 2026-…` (without the `LOG:` prefix).
        var stopLine: String?
        /// The commit time in the stop line when recovery stopped *after* that commit (it was replayed).
        var stopCommitTimeReplayed: String?
        /// `last completed transaction was at log time …`
        var lastCompletedTransaction: String?
        /// The first FATAL or PANIC line.
        var fatal: String?
        /// A segment `restore_command` could not find (`cp: cannot stat …/000000010000000000000005`).
        var missingSegments: [String] = []
        var couldNotBind: String?
        /// "data directory … has wrong ownership" / "has invalid permissions".
        var permissionProblem: String?
        var reachedConsistency = false
        var recoveryEnded = false
    }

    static func parseLog(_ text: String) -> RecoveryLog {
        var log = RecoveryLog()
        for raw in text.split(separator: "\n") {
            let line = String(raw)
            let message = messageText(line)
            if let range = message.range(of: "recovery stopping ") {
                log.stopLine = String(message[range.lowerBound...])
                if message.contains("stopping after commit of transaction"), let time = message.range(of: ", time ") {
                    log.stopCommitTimeReplayed = String(message[time.upperBound...]).trimming(" \t\r")
                } else {
                    log.stopCommitTimeReplayed = nil
                }
            } else if let range = message.range(of: "last completed transaction was at log time ") {
                log.lastCompletedTransaction = String(message[range.upperBound...]).trimming(" \t\r")
            } else if message.contains("consistent recovery state reached") {
                log.reachedConsistency = true
            } else if message.contains("archive recovery complete") || message.contains("database system is ready to accept connections") {
                if log.reachedConsistency { log.recoveryEnded = true }
            }
            if log.fatal == nil, let range = line.range(of: "FATAL:") ?? line.range(of: "PANIC:") {
                log.fatal = String(line[range.lowerBound...]).trimming(" \t\r")
            }
            if line.contains("could not bind") && log.couldNotBind == nil { log.couldNotBind = message }
            if line.contains("has wrong ownership") || line.contains("has invalid permissions") { log.permissionProblem = message }
            if line.contains("cannot stat") || line.contains("No such file or directory") {
                if let name = lastSegmentName(in: line), !log.missingSegments.contains(name) { log.missingSegments.append(name) }
            }
        }
        return log
    }

    /// The text after `LOG:  ` / `FATAL:  ` (the log line prefix varies with log_line_prefix).
    static func messageText(_ line: String) -> String {
        for level in ["LOG:", "FATAL:", "PANIC:", "WARNING:", "ERROR:", "DETAIL:", "HINT:"] {
            if let range = line.range(of: level) { return String(line[range.upperBound...]).trimming(" \t\r") }
        }
        return line.trimming(" \t\r")
    }

    /// The last 24-hex-digit word in `line`.
    static func lastSegmentName(in line: String) -> String? {
        var found: String?
        var run = ""
        for c in line + " " {
            if c.isHexDigit { run.append(c); continue }
            if run.count == 24 { found = run.uppercased() }
            run = ""
        }
        return found
    }

    /// The last `count` lines of `text`, joined with ` | ` for a one-line message.
    static func tail(_ text: String, lines count: Int = 6) -> String {
        text.split(separator: "\n").suffix(count).map { $0.trimming(" \t\r") }.joined(separator: " | ")
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
