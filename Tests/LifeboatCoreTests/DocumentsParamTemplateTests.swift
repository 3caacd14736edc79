import LifeboatCore
import Testing

/// A scenario's `with:` and param defaults may use ${vars…}, ${secrets…} and ${run…}: they are
/// rendered when a step uses the param. Values given with -p are literal, `${` included.
@Suite("Params that are templates")
struct DocumentsParamTemplateTests {
    let context = RenderContext(
        params: ["v": "${vars.x} and $${lit} ${run.mode}", "token": "Bearer ${secrets.t}", "typed": 3],
        vars: ["x": "db-dr"], secrets: ["t": "s3cr3t"], run: ["mode": "drill"])

    @Test func aParamValueIsRenderedAgainstVarsSecretsAndRun() throws {
        #expect(try context.render(.string("${params.v}")) == "db-dr and ${lit} drill")
        #expect(try context.render(.string("[${params.token}]")) == "[Bearer s3cr3t]")
        #expect(try context.render(.string("${params.typed}")) == 3)
    }

    @Test func aParamCannotReachParamsOrStepOutputsThroughItsValue() {
        var c = context
        c.params["loop"] = "${params.v}"
        #expect(throws: LifeboatError.self) { try c.render(.string("${params.loop}")) }
    }

    @Test(arguments: ["${secrets.t}", "$(touch /tmp/x) ${vars.x}", "a$${b", "$", "x$", "${", "$$"])
    func escapedTextRendersToItself(_ text: String) throws {
        #expect(try context.render(.string(Template.escaped(text))) == .string(text))
    }
}
