import Foundation
import LifeboatCore

extension CanonicalJSON {
    /// A stored value read back; text that does not decode is the store's data error, naming `what`.
    package static func decode<T: Decodable>(_ type: T.Type, from text: String, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreDataError(detail: "\(what) does not decode: \(error)")
        }
    }
}
