/// Keeps the last lines of a command's combined output in bounded memory, and collects
/// `lifeboat-output: KEY=VALUE` lines as outputs.
struct OutputCollector: Sendable {
    /// Longest line kept; the rest of a longer line is dropped and marked with `…`.
    static let maxLineBytes = 4_096
    /// Most bytes of tail reported, newest lines first: the tail ends up in the state store.
    static let maxTailBytes = 64 * 1_024
    /// Most `lifeboat-output:` keys kept (the first ones win).
    static let maxOutputs = 100
    static let outputPrefix = "lifeboat-output: "

    private let maxLines: Int
    /// The last `maxLines` complete lines, as a ring.
    private var ring: [String] = []
    private var ringStart = 0
    private var partial: [UInt8] = []
    private var partialTruncated = false
    private(set) var outputs: [String: String] = [:]
    private(set) var totalBytes = 0

    /// Called with each complete line as it arrives (unmasked), for the live view.
    private let onLine: (@Sendable (String) -> Void)?

    init(maxLines: Int, onLine: (@Sendable (String) -> Void)? = nil) {
        self.maxLines = maxLines
        self.onLine = onLine
        ring.reserveCapacity(min(maxLines, 64))
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        totalBytes += bytes.count
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                endLine()
            } else if partial.count < Self.maxLineBytes {
                partial.append(byte)
            } else {
                partialTruncated = true
            }
        }
    }

    /// Flushes a last line that had no newline.
    mutating func finish() {
        if !partial.isEmpty || partialTruncated { endLine() }
    }

    /// The kept lines, oldest first, at most `maxTailBytes` of them.
    var lines: [String] {
        let ordered = ring.count == maxLines && ringStart > 0 ? Array(ring[ringStart...] + ring[..<ringStart]) : ring
        var bytes = 0
        var first = ordered.count
        while first > 0 {
            bytes += ordered[first - 1].utf8.count + 1
            if bytes > Self.maxTailBytes { break }
            first -= 1
        }
        return Array(ordered[first...])
    }

    private mutating func endLine() {
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        var line = String(decoding: partial, as: UTF8.self)
        if partialTruncated { line += "…" }
        partial.removeAll(keepingCapacity: true)
        partialTruncated = false
        recordOutput(line)
        if let onLine, !line.isEmpty { onLine(line) }
        guard maxLines > 0 else { return }
        if ring.count < maxLines {
            ring.append(line)
        } else {
            ring[ringStart] = line
            ringStart = (ringStart + 1) % maxLines
        }
    }

    private mutating func recordOutput(_ line: String) {
        guard line.hasPrefix(Self.outputPrefix) else { return }
        let assignment = line.dropFirst(Self.outputPrefix.count)
        guard let equals = assignment.firstIndex(of: "=") else { return }
        let key = String(assignment[..<equals])
        guard Self.isValidKey(key), outputs[key] != nil || outputs.count < Self.maxOutputs else { return }
        outputs[key] = String(assignment[assignment.index(after: equals)...])
    }

    /// Keys look like identifiers: letters, digits, `_`, `-`, `.`, not starting with a digit.
    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, !key.isEmpty, key.utf8.count <= 64 else { return false }
        guard first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return key.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == ".")
        }
    }
}
