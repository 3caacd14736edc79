import Foundation
import LifeboatActions
import LifeboatCore
import Testing

@Suite("secret resolver")
struct SecretResolverTests {
    @Test func readsEnvironmentVariables() throws {
        let resolver = SecretResolver(baseDirectory: "/plans", environment: ["LIFEBOAT_TSIG_SECRET": "c2VjcmV0LWtleQ=="])
        #expect(try resolver.resolve(["tsig": .env("LIFEBOAT_TSIG_SECRET")]) == ["tsig": "c2VjcmV0LWtleQ=="])
    }

    @Test func readsFilesRelativeToThePlanAndTrimsOneNewline() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("secrets"), withIntermediateDirectories: true)
        try dir.write("secrets/pg", "pg-pass-word\n\n")
        try dir.write("crlf", "windows-secret\r\n")
        let resolver = SecretResolver(baseDirectory: dir.path, environment: [:])
        let values = try resolver.resolve([
            "pgpass": .file("secrets/pg"), "abs": .file(dir.file("crlf")),
        ])
        #expect(values == ["pgpass": "pg-pass-word\n", "abs": "windows-secret"])
    }

    @Test func missingVariableOrFileIsAnInvalidInputThatNamesNoValue() throws {
        let resolver = SecretResolver(baseDirectory: "/nonexistent", environment: ["OTHER": "value-1234"])
        #expect {
            try resolver.resolve(["tsig": .env("LIFEBOAT_TSIG_SECRET")])
        } throws: { error in
            guard let e = error as? LifeboatError else { return false }
            return e.code == .invalidInput
                && e.message == "secret 'tsig': environment variable LIFEBOAT_TSIG_SECRET is not set"
                && e.hint == "export it or change the plan's secrets: entry"
        }
        #expect {
            try resolver.resolve(["pgpass": .file("pg")])
        } throws: { error in
            (error as? LifeboatError)?.message == "secret 'pgpass': file /nonexistent/pg does not exist"
        }
    }

    @Test func refusesSecretsShorterThanFourCharacters() throws {
        let resolver = SecretResolver(baseDirectory: "/", environment: ["SHORT": "abc"])
        #expect {
            try resolver.resolve(["short": .env("SHORT")])
        } throws: { error in
            guard let e = error as? LifeboatError else { return false }
            return e.code == .invalidInput && e.message.contains("shorter than 4") && !e.description.contains("abc")
        }
    }

    @Test func maskerHidesResolvedValues() throws {
        let values = try SecretResolver(baseDirectory: "/", environment: ["A": "alpha-secret"]).resolve(["a": .env("A")])
        #expect(SecretResolver.masker(for: values).mask("key alpha-secret used") == "key *** used")
    }

    /// A secret that contains another (a password and the DSN built from it) is masked whole: masking
    /// the shorter one first would leave the rest of the longer one in the text.
    @Test func aSecretContainingAnotherIsMaskedWhole() {
        let masker = SecretMasker(secrets: ["hunter2", "postgres://app:hunter2@db/prod"])
        #expect(masker.mask("dsn postgres://app:hunter2@db/prod, password hunter2") == "dsn ***, password ***")
    }

    /// Values are masked at every depth: strings in lists and maps, as step outputs nest them.
    @Test func valuesAreMaskedInListsAndMaps() {
        let masker = SecretMasker(secrets: ["hunter2"])
        let value: Value = ["hosts": ["db1", "app:hunter2@db2"], "auth": ["password": "hunter2"], "port": 5432]
        #expect(masker.mask(value) == ["hosts": ["db1", "app:***@db2"], "auth": ["password": "***"], "port": 5432])
    }
}
