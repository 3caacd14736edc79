import Foundation
import LifeboatCore
import Testing

@Suite("Example documents")
struct DocumentsExampleTests {
    /// The seed's plan and its runbooks, against the test double's copy of the action specs. Every
    /// example (the sandbox's too) is validated with the real actions by the CLI tests.
    @Test func examplesValidate() {
        let report = TestActions.loader.validate(paths: [
            FixturePaths.example("plans/payment-platform.yaml"), FixturePaths.example("runbooks/region-failover.yaml"),
            FixturePaths.example("runbooks/database-corruption.yaml"), FixturePaths.example("runbooks/security-incident.yaml"),
        ])
        for d in report.diagnostics { Issue.record("\(d)") }
        #expect(report.ok)
        let ids = Set(report.files.compactMap(\.id))
        #expect(ids.isSuperset(of: ["payment-platform", "region-failover", "database-corruption", "security-incident"]))
    }
}
