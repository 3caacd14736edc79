import Foundation
import LifeboatCore

/// Turns a plan's `secrets:` entries into values at run time. Values are never stored, and no
/// message this type produces contains one.
public struct SecretResolver: Sendable {
    /// Shorter secrets are refused: masking them would garble unrelated output.
    public static let minimumLength = 4

    /// Where `env:` secrets are read (the process environment unless a test injects one).
    public var environment: [String: String]
    /// The plan's folder: relative `file:` paths resolve against it.
    public var baseDirectory: String

    public init(baseDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.baseDirectory = baseDirectory
        self.environment = environment
    }

    /// Every secret's value, by name. Throws on the first one that cannot be resolved (in name order).
    public func resolve(_ secrets: [String: SecretSource]) throws(LifeboatError) -> [String: String] {
        var values: [String: String] = [:]
        for name in secrets.keys.sorted() {
            values[name] = try resolve(name: name, secrets[name]!)
        }
        return values
    }

    /// One secret's value.
    public func resolve(name: String, _ source: SecretSource) throws(LifeboatError) -> String {
        let value: String
        switch source {
        case .env(let variable):
            guard let found = environment[variable] else {
                throw LifeboatError(
                    .invalidInput, "secret '\(name)': environment variable \(variable) is not set",
                    hint: "export it or change the plan's secrets: entry")
            }
            value = found
        case .file(let path):
            value = try readFile(name: name, path: FilePaths.resolve(path, against: baseDirectory))
        }
        guard value.count >= Self.minimumLength else {
            throw LifeboatError(
                .invalidInput,
                "secret '\(name)' is shorter than \(Self.minimumLength) characters; masking it would garble output",
                hint: "use a longer secret")
        }
        return value
    }

    /// A masker for the resolved values.
    public static func masker(for values: [String: String]) -> SecretMasker {
        SecretMasker(secrets: values.values)
    }

    private func readFile(name: String, path: String) throws(LifeboatError) -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FilePaths.exists(path) ? "cannot be read" : "does not exist"
            throw LifeboatError(
                .invalidInput, "secret '\(name)': file \(path) \(reason)",
                hint: "create it (readable by this user) or change the plan's secrets: entry")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw LifeboatError(
                .invalidInput, "secret '\(name)': file \(path) is not UTF-8 text",
                hint: "store the secret as text")
        }
        // One trailing newline is how editors and `echo` end a file, not part of the secret.
        if text.hasSuffix("\r\n") {
            text.removeLast()
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        return text
    }
}
