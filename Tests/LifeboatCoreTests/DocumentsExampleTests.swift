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
        #expect(report.files.count == 4)
    }
}
