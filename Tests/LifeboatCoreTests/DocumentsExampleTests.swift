import Foundation
import LifeboatCore
import Testing

@Suite("Example documents")
struct DocumentsExampleTests {
    @Test func examplesValidate() {
        let report = TestActions.loader.validate(paths: [
            FixturePaths.example("plans"), FixturePaths.example("runbooks"),
        ])
        for d in report.diagnostics { Issue.record("\(d)") }
        #expect(report.ok)
        let ids = Set(report.files.compactMap(\.id))
        #expect(ids.isSuperset(of: ["payment-platform", "region-failover", "database-corruption", "security-incident"]))
    }
}
