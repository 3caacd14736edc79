import Foundation
@testable import LifeboatCore
import Testing

@Suite("JSON Schema")
struct SchemaTests {
    let text = DocumentSchema.json(actions: TestActions.specs)

    @Test func isValidJSONOfDraft202012() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        #expect((object["oneOf"] as? [Any])?.count == 2)
        let defs = try #require(object["$defs"] as? [String: Any])
        #expect(defs["plan"] != nil && defs["runbook"] != nil && defs["step"] != nil)
    }

    @Test func describesEveryActionsParameters() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let defs = try #require(object["$defs"] as? [String: Any])
        for spec in TestActions.specs {
            #expect(text.contains("\"const\": \"\(spec.name)\""))
            let with = try #require(defs["with.\(spec.name)"] as? [String: Any], "no with.\(spec.name)")
            let properties = try #require(with["properties"] as? [String: Any])
            #expect(Set(properties.keys) == Set(spec.parameters.map(\.name)))
        }
        let http = try #require(defs["with.http.check"] as? [String: Any])
        #expect(http["required"] as? [String] == ["url"])
        #expect(http["additionalProperties"] as? Bool == false)
    }

    @Test func outputIsDeterministic() {
        #expect(DocumentSchema.json(actions: TestActions.specs.reversed()) == text)
        #expect(text.hasSuffix("}\n"))
    }

    @Test(.enabled(if: PythonJSONSchema.available, "needs python3 with the jsonschema module"))
    func examplesAndValidFixturesMatchTheSchema() throws {
        let documents = [
            FixturePaths.example("plans/payment-platform.yaml"),
            FixturePaths.example("runbooks/region-failover.yaml"),
            FixturePaths.example("runbooks/database-corruption.yaml"),
            FixturePaths.example("runbooks/security-incident.yaml"),
            FixturePaths.fixture("valid/plans/basic.yaml"),
            FixturePaths.fixture("valid/runbooks/basic.yaml"),
            FixturePaths.fixture("valid/runbooks/templates-anywhere.yaml"),
        ]
        let errors = try PythonJSONSchema.validate(schema: text, documents: documents)
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test(.enabled(if: PythonJSONSchema.available, "needs python3 with the jsonschema module"))
    func schemaRejectsBadDocuments() throws {
        let documents = [
            "invalid/runbooks/unknown-step-key.yaml", "invalid/runbooks/unknown-action.yaml",
            "invalid/runbooks/missing-required-parameter.yaml", "invalid/runbooks/unknown-parameter.yaml",
            "invalid/runbooks/bad-when.yaml", "invalid/runbooks/bad-durations.yaml", "invalid/plans/bad-tier.yaml",
            "invalid/plans/bad-schedule.yaml", "invalid/plans/bad-schedule-scenarios.yaml", "invalid/plans/bad-secrets.yaml",
        ].map(FixturePaths.fixture)
        let errors = try PythonJSONSchema.validate(schema: text, documents: documents)
        #expect(Set(errors.keys) == Set(documents))
    }
}

/// Validates documents against a schema with python3's `jsonschema` (Draft 2020-12).
enum PythonJSONSchema {
    static let available: Bool = (try? run(["python3", "-c", "import jsonschema; jsonschema.Draft202012Validator"]))?.status == 0

    /// Document path → first error, for the documents that do not match.
    static func validate(schema: String, documents: [String]) throws -> [String: String] {
        let folder = NSTemporaryDirectory() + "lifeboat-schema-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try schema.write(toFile: folder + "/schema.json", atomically: true, encoding: .utf8)
        var names: [String: String] = [:]
        for (i, path) in documents.enumerated() {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let value = try #require(try YAMLDocument.parse(text, file: path)).value
            try value.jsonText.write(toFile: folder + "/\(i).json", atomically: true, encoding: .utf8)
            names["\(i).json"] = path
        }
        let script = """
            import json, sys, os, jsonschema
            folder = sys.argv[1]
            schema = json.load(open(os.path.join(folder, "schema.json")))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            for name in sorted(os.listdir(folder)):
                if name == "schema.json": continue
                errors = list(validator.iter_errors(json.load(open(os.path.join(folder, name)))))
                if errors: print(name + "\\t" + errors[0].message.replace("\\n", " "))
            """
        let result = try run(["python3", "-c", script, folder])
        guard result.status == 0 else { throw PythonError(output: result.output) }
        var out: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            if parts.count == 2, let path = names[parts[0]] { out[path] = parts[1] }
        }
        return out
    }

    struct PythonError: Error { var output: String }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
