import LifeboatActions
import LifeboatCore
import Testing

@Suite("standard actions")
struct StandardActionsTests {
    @Test func registryHasTheStandardActionsWithDocumentedParameters() {
        let registry = StandardActions.registry()
        #expect(registry.names == ["approval", "command", "dns.check", "dns.update", "http.check", "kubernetes.scale", "notify", "postgres.promote", "postgres.query", "postgres.restore", "wait"])
        for spec in registry.specs {
            #expect(!spec.summary.isEmpty)
            #expect(!spec.parameters.isEmpty, "\(spec.name) lists no parameters")
            for parameter in spec.parameters {
                #expect(!parameter.summary.isEmpty && !parameter.summary.contains("\n"), "\(spec.name).\(parameter.name)")
            }
        }
        #expect(registry.spec("command")?.idempotent == false)
        #expect(registry.spec("command")?.hasVerify == true)
        #expect(registry.spec("http.check")?.parameter("url")?.required == true)
        #expect(registry.spec("wait")?.idempotent == true)
        #expect(registry.spec("approval")?.parameter("approvers")?.kind == .stringList)
    }

    @Test func approvalIsRunByTheEngine() async {
        let error = await lifeboatError { _ = try await ApprovalAction().run(in: request(["prompt": "Fail over?"])) }
        #expect(error?.code == .internalError)
        #expect(error?.message == "step 's1': approval steps are run by the engine")
    }
}
