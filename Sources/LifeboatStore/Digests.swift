import Crypto
import LifeboatCore

/// Hex SHA-256 digests of pinned documents.
package enum Digests {
    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Hex SHA-256 of a text's UTF-8 bytes.
    package static func sha256(_ text: String) -> String {
        hex(SHA256.hash(data: Array(text.utf8)))
    }

    /// See `SQLiteStore.documentsHash(_:)`.
    package static func documentsHash(_ documents: [DocumentSource]) -> String {
        let sorted = documents.sorted { ($0.kind.rawValue, $0.path, $0.text) < ($1.kind.rawValue, $1.path, $1.text) }
        var hasher = SHA256()
        for document in sorted {
            let text = Array(document.text.utf8)
            hasher.update(data: Array("\(document.kind.rawValue)\n\(document.path)\n\(text.count)\n".utf8))
            hasher.update(data: text)
            hasher.update(data: [0x0a])
        }
        return hex(hasher.finalize())
    }
}
