import LifeboatCore
import Testing

/// Text made for people, never parsed back: titles rendered as far as they can be, parameters as
/// YAML, and the stand-ins a tabletop shows for outputs nothing produced.
@Suite("Text shown to people")
struct ShownTextTests {
    @Test func aTitleRendersWhatResolvesAndKeepsTheRestAsWritten() {
        let context = RenderContext(params: ["to": .string("eu-west-1b")], vars: ["team": .string("sre")])
        #expect(context.renderLeniently("Switch ${params.to} (${vars.team}) with ${secrets.key}")
            == "Switch eu-west-1b (sre) with ${secrets.key}")
        #expect(context.renderLeniently("Check ${steps.a.outputs.b}") == "Check ${steps.a.outputs.b}")
        #expect(context.renderLeniently("unclosed ${params.to") == "unclosed ${params.to")
    }

    @Test func aTabletopStandsInForOutputsNothingProduced() throws {
        var context = RenderContext(stepOutputs: ["switch": ["active": .string("b")]])
        #expect(throws: LifeboatError.self) { try context.render(.string("${steps.switch.outputs.other}")) }
        context.standInForMissingOutputs = true
        #expect(try context.render(.string("${steps.switch.outputs.active}")) == .string("b"))
        #expect(try context.render(.string("${steps.switch.outputs.other}")) == .string("(output other of switch)"))
        #expect(try context.render(.string("${steps.never.outputs.x}")) == .string("(output x of never)"))
    }

    @Test func parametersReadAsYAMLAndQuoteWhatWouldReadBackAsSomethingElse() {
        let lines = Value.yamlLines([
            "argv": .list([.string("promote"), .string("--force")]),
            "env": .map(["MODE": .string("a: b"), "ON": .string("yes"), "N": .string("42"), "T": .int(3)]),
            "plain": .string("db-1.internal"),
            "script": .string("set -e\necho hi"),
            "empty": .list([]),
        ])
        #expect(lines == [
            "argv:", "  - promote", "  - --force",
            "empty: []",
            "env:", "  MODE: \"a: b\"", "  N: \"42\"", "  \"ON\": \"yes\"", "  T: 3",
            "plain: db-1.internal",
            "script: |", "  set -e", "  echo hi",
        ])
    }
}
