import Foundation
import LifeboatCore
import Testing

/// The short form of the loader's fuzzing (the long form is `scripts/fuzz documents`): the seed
/// corpus, every input that once broke the loader, and a few thousand seeded random edits of them.
/// No input may crash the loader, and every rejection must name a real `file:line:col`.
@Suite("Document loader under random input")
struct DocumentsFuzzTests {
    static let corpus = FixturePaths.example("Fuzz/corpus/documents")
    static let regressions = FixturePaths.example("Fuzz/regressions/documents")

    static func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            .map { folder + "/" + $0 }
    }

    static func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

    @Test func seedCorpusAndRegressionsAreLocated() {
        let probe = DocumentProbe(loader: TestActions.loader)
        defer { probe.remove() }
        let inputs = Self.files(in: Self.corpus) + Self.files(in: Self.regressions)
        #expect(inputs.count >= 40, "the seed corpus is missing: \(Self.corpus)")
        for path in inputs {
            let broken = probe.violations(Self.bytes(path))
            #expect(broken.isEmpty, "\(path): \(broken.joined(separator: "; "))")
        }
    }

    /// A bug in the probe would hide every finding: a location outside the file, in a file that
    /// does not exist, or not rendered as `file:line:col: ` must count.
    @Test func probeRejectsLocationsThatAreNotRealPlaces() {
        let probe = DocumentProbe(loader: TestActions.loader)
        defer { probe.remove() }
        let text = Array("runbook: r\nsteps: 3\n".utf8)
        let at = { (file: String, line: Int, column: Int) in Diagnostic(SourceLocation(file: file, line: line, column: column), "x") }
        #expect(probe.locationProblems([at(probe.document, 2, 8), at(probe.document, 4, 1)], document: text).isEmpty)
        #expect(probe.locationProblems([at(probe.document, 9, 1)], document: text).count == 1)
        #expect(probe.locationProblems([at(probe.document, 1, 0)], document: text).count == 1)
        #expect(probe.locationProblems([at("", 1, 1)], document: text).count == 1)
        #expect(probe.locationProblems([at(probe.folder + "/missing.yaml", 1, 1)], document: text).count == 1)
        // And a real rejection of that text is located.
        #expect(probe.violations(text).isEmpty)
    }

    @Test(arguments: 0..<4) func randomEditsAreRejectedWithALocation(batch: Int) {
        let seeds = Self.files(in: Self.corpus).map(Self.bytes)
        #expect(!seeds.isEmpty)
        guard !seeds.isEmpty else { return }
        let probe = DocumentProbe(loader: TestActions.loader)
        defer { probe.remove() }
        var mutator = DocumentMutator(seed: 0x11FE_B0A7 &+ UInt64(batch))
        var failures = 0
        for _ in 0..<500 {
            let input = mutator.mutate(seeds[mutator.below(seeds.count)], other: seeds[mutator.below(seeds.count)])
            let broken = probe.violations(input)
            if !broken.isEmpty {
                failures += 1
                Issue.record("""
                    \(broken.joined(separator: "; "))
                    input (base64; save it under Fuzz/regressions/documents/): \(Data(input).base64EncodedString())
                    """)
                if failures >= 3 { return }
            }
        }
    }
}
