import ArgumentParser
import LifeboatCore
import LifeboatStore

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of plans and runbooks (for editor completion and checks).",
        discussion: """
            Example (VS Code YAML extension):
              lifeboat schema > .lifeboat-schema.json
              # then map plans/*.yaml and runbooks/*.yaml to it in yaml.schemas
            """)

    func run() async throws {
        Console.out(DocumentSchema.json(actions: Runtime.actions.specs))
    }
}
