/// "Did you mean …?" suggestions by edit distance.
enum Suggestion {
    /// The candidate closest to `name`, if it is close enough to be a likely typo.
    static func closest(to name: String, in candidates: some Sequence<String>) -> String? {
        let lowered = name.lowercased()
        let limit = name.count <= 3 ? 1 : (name.count <= 6 ? 2 : 3)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = candidate.lowercased() == lowered ? 0 : editDistance(lowered, candidate.lowercased())
            if distance <= limit, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        if let best { return best.candidate }
        // `integer` for `int`, `str` for `string`: one is the start of the other.
        return candidates.first { c in
            let c = c.lowercased()
            return min(c.count, lowered.count) >= 3 && (c.hasPrefix(lowered) || lowered.hasPrefix(c))
        }
    }

    /// A hint for an unknown name: `did you mean 'x'?`, or the list of names that are allowed.
    static func hint(for name: String, in candidates: [String], noun: String = "") -> String {
        if let match = closest(to: name, in: candidates) { return "did you mean '\(match)'?" }
        if candidates.isEmpty { return noun.isEmpty ? "remove it" : "no \(noun) is defined" }
        let shown = candidates.count > 12 ? Array(candidates.prefix(12)) + ["…"] : candidates
        return "expected one of: " + shown.joined(separator: ", ")
    }

    /// Levenshtein distance over characters, in O(n·m) time and O(m) space.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
