import LifeboatTestSupport

/// Seeded random edits of YAML documents for the loader's property test: the same seed gives the
/// same documents, so a failure can be replayed.
struct DocumentMutator {
    private var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    /// Tokens that steer edits toward the document format's corners.
    static let tokens: [String] = [
        "plan: ", "runbook: ", "steps:\n", "- id: ", "action: ", "needs: [", "with: {", "params:\n", "type: ",
        "default: ", "required: true", "secrets: {a: {env: X}}", "scenarios:\n  s:\n    runbook: r.yaml\n",
        "runbook: doc.yaml", "${params.", "${vars.", "${secrets.", "${steps.a.outputs.", "${run.id}", "$${", "}",
        "timeout: ", "retry: {attempts: ", "rto_window: {start: ", "when: ", "rollback: {action: command}",
        "99999999999999999999", "1e400", "-1", "500ms", "16MB", "0.5", "~", "null", "true", "&a ", "*a", "<<: *a",
        "!!str ", "!!binary ", "? ", "---\n", "...\n", "|\n  ", ">-\n  ", "'", "\"", "\t", "\r\n", "\u{85}",
        "\u{2028}", "\u{FEFF}", "\0", "[", "]", "{", ", ", ": ", "\n  ", "\n    ", "#",
    ]

    /// One to four random edits of `seed`, sometimes spliced with `other`.
    mutating func mutate(_ seed: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0...below(4) {
            switch below(9) {
            case 0 where !bytes.isEmpty:  // flip a byte
                bytes[below(bytes.count)] ^= UInt8(truncatingIfNeeded: 1 << below(8))
            case 1:  // insert a token
                bytes.insert(contentsOf: Array(Self.tokens[below(Self.tokens.count)].utf8), at: below(bytes.count + 1))
            case 2:  // insert random bytes (invalid UTF-8 included)
                let run = (0..<(1 + below(6))).map { _ in UInt8(truncatingIfNeeded: next()) }
                bytes.insert(contentsOf: run, at: below(bytes.count + 1))
            case 3 where !bytes.isEmpty:  // delete a span
                let start = below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + below(40)))
            case 4:  // delete, duplicate or swap lines
                var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
                guard lines.count > 1 else { break }
                let i = below(lines.count), j = below(lines.count)
                switch below(3) {
                case 0: lines.remove(at: i)
                case 1: lines.insert(lines[i], at: j)
                default: lines.swapAt(i, j)
                }
                bytes = Array(lines.joined(separator: [0x0A]))
            case 5:  // change a line's indentation
                var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
                guard !lines.isEmpty else { break }
                let i = below(lines.count)
                if below(2) == 0 { lines[i].insert(contentsOf: Array(repeating: 0x20, count: 1 + below(4)), at: 0) }
                else { lines[i].removeFirst(min(lines[i].count, 1 + below(4))) }
                bytes = Array(lines.joined(separator: [0x0A]))
            case 6 where !bytes.isEmpty:  // truncate
                bytes.removeLast(below(bytes.count))
            case 7:  // splice with another document
                let cut = below(bytes.count + 1), from = below(other.count + 1)
                bytes = Array(bytes[..<cut]) + Array(other[from...])
            default:  // repeat a span (deep or long documents)
                guard !bytes.isEmpty else { break }
                let start = below(bytes.count), end = min(bytes.count, start + 1 + below(64))
                let span = Array(bytes[start..<end])
                for _ in 0..<(1 + below(8)) { bytes.insert(contentsOf: span, at: start) }
            }
        }
        return bytes
    }
}
