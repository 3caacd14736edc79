/// A response body read in bounded memory: the first `limit` bytes are kept for matching, and the
/// last bytes are kept too so that `body_tail` shows both ends of a long body.
struct ResponseBody: Sendable {
    /// Most bytes kept for `body_contains` / `body_matches`.
    static let limit = 1 << 20
    /// Bytes of each end shown in `body_tail`.
    static let sampleBytes = 512

    private(set) var kept: [UInt8] = []
    private var lastBytes: [UInt8] = []
    private(set) var totalBytes = 0

    mutating func append(_ bytes: some Collection<UInt8>) {
        totalBytes += bytes.count
        let room = Self.limit - kept.count
        if room > 0 { kept.append(contentsOf: bytes.prefix(room)) }
        lastBytes.append(contentsOf: bytes)
        if lastBytes.count > 2 * Self.sampleBytes { lastBytes.removeFirst(lastBytes.count - Self.sampleBytes) }
    }

    var truncated: Bool { totalBytes > kept.count }

    /// The kept bytes as text (invalid UTF-8 replaced).
    var text: String { String(decoding: kept, as: UTF8.self) }

    /// The first and last ~512 bytes, joined by ` … ` when something was left out.
    var sample: String {
        if totalBytes <= 2 * Self.sampleBytes { return String(decoding: kept, as: UTF8.self) }
        let head = String(decoding: kept.prefix(Self.sampleBytes), as: UTF8.self)
        let tail = String(decoding: lastBytes.suffix(Self.sampleBytes), as: UTF8.self)
        return head + " … " + tail
    }
}
