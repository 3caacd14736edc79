import LifeboatActions
import LifeboatCore
import LifeboatPostgres
import Testing

@Suite("conninfo")
struct ConninfoTests {
    @Test(arguments: [
        ("host=db port=5432 password=s3cret user=app", "host=db port=5432 password=*** user=app"),
        ("password = s3cret host=db", "password = *** host=db"),
        (#"host=db password='it\'s a secret' dbname=x"#, #"host=db password=*** dbname=x"#),
        ("host=db password='two words' sslmode=require", "host=db password=*** sslmode=require"),
        ("host=db user=app", "host=db user=app"),
        ("postgresql://app:s3cret@db:5432/app", "postgresql://app:***@db:5432/app"),
        ("postgres://app:p%40ss@h1:5432,h2:5433/app?sslmode=require", "postgres://app:***@h1:5432,h2:5433/app?sslmode=require"),
        ("postgresql://app@db/app?password=s3cret&sslmode=disable", "postgresql://app@db/app?password=***&sslmode=disable"),
        ("postgresql://db/app", "postgresql://db/app"),
        ("host=db password='never closed", "host=db password=***"),
    ])
    func redactedMasksThePassword(input: String, expected: String) {
        #expect(Conninfo.redacted(input) == expected)
    }

    @Test func passwordsIncludeEveryWrittenAndDecodedForm() {
        #expect(Set(Conninfo.passwords(in: "postgresql://app:p%40ss@db/app")) == ["p%40ss", "p@ss"])
        #expect(Set(Conninfo.passwords(in: #"host=db password='a b'"#)) == ["a b", "'a b'"])
        #expect(Conninfo.passwords(in: "host=db").isEmpty)
    }

    @Test func parseUsesLibpqAndMasksItsComplaint() throws {
        let options = try Conninfo.parse("host=db port=6432 dbname=app sslmode=require")
        #expect(options["host"] == "db" && options["port"] == "6432" && options["sslmode"] == "require")
        do {
            _ = try Conninfo.parse("host=db password=hunter2 bogus_option=1")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.contains("bogus_option"))
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test(arguments: [
        ("host=10.0.0.5 port=6432 dbname=app", "postgres://10.0.0.5:6432"),
        ("host=db1,db2 port=5433,5434", "postgres://db1:5433"),
        ("postgresql://u:pw@db.example:6543/app", "postgres://db.example:6543"),
        ("postgresql://u:pw@[::1]/app", "postgres://[::1]:5432"),
        ("host=db", "postgres://db:5432"),
    ])
    func endpointIsTheFirstHostAndPort(conninfo: String, expected: String) {
        #expect(Conninfo.endpoint(conninfo) == expected)
    }

    @Test func actionSpecAndRegistry() {
        let registry = StandardActions.registry()
        let spec = try! #require(registry.spec("postgres.query"))
        #expect(spec.idempotent == false && spec.hasVerify == false)
        #expect(spec.parameter("conninfo")?.required == true && spec.parameter("sql")?.required == true)
        #expect(spec.parameter("timeout")?.kind == .duration && spec.parameter("expect_rows")?.kind == .int)
        #expect(
            PostgresQueryAction().endpoint(for: request(["conninfo": "host=db port=6000 password=x", "sql": "SELECT 1"]))
                == "postgres://db:6000")
    }

    @Test func badParametersAreInvalidInput() async {
        let action = PostgresQueryAction()
        let missing = await thrown(LifeboatError.self) { _ = try await action.run(in: request(["conninfo": "host=db"])) }
        #expect(missing?.code == .invalidInput && missing?.message.contains("'sql' is required") == true)
        let params = await thrown(LifeboatError.self) {
            _ = try await action.run(in: request(["conninfo": "host=db", "sql": "SELECT $1", "params": .map(["a": 1])]))
        }
        #expect(params?.message.contains("'params' must be a list") == true)
    }

    @Test func malformedConninfoIsInvalidInputWithoutThePassword() async {
        let error = await thrown(LifeboatError.self) {
            _ = try await PostgresQueryAction().run(in: request(["conninfo": "host=127.0.0.1 password=hunter2 nonsense=1", "sql": "SELECT 1"]))
        }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains("nonsense") == true)
        for text in error.map(allTexts) ?? [] { #expect(!text.contains("hunter2")) }
    }
}
