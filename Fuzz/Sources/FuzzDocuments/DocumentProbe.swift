import Foundation
import LifeboatCore

/// Runs one document through every way Lifeboat loads documents and lists each rule it broke.
///
/// The bytes are loaded as a file (`validate`, as `lifeboat validate` does), as the runbook of a
/// fixed plan (the combination checks), as pinned text of either kind (`resume`), and, when they
/// make a valid plan, each scenario is resolved (`lifeboat run`). Every rejection must name a real
/// place: a file that exists, a line and column inside it, rendered as `file:line:col: `.
///
/// Shared by the libFuzzer target (Fuzz/Sources/FuzzDocuments) and the property test in
/// LifeboatCoreTests (a symlink to this file): it uses nothing but Foundation and LifeboatCore.
struct DocumentProbe: Sendable {
    let loader: DocumentLoader
    /// A private folder holding the document under test and the fixed documents around it.
    let folder: String

    /// The document under test.
    var document: String { folder + "/doc.yaml" }
    /// A fixed plan whose scenarios run the document under test as their runbook.
    var hostPlan: String { folder + "/host-plan.yaml" }
    /// A fixed, valid runbook that a fuzzed plan can name (`runbook: r.yaml`).
    var runbook: String { folder + "/r.yaml" }

    init(loader: DocumentLoader) {
        self.loader = loader
        var template = Array((NSTemporaryDirectory() + "/lifeboat-probe-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "cannot create a temporary folder for the document probe")
        folder = String(cString: made!)
        write(Self.hostPlanText, to: hostPlan)
        write(Self.runbookText, to: runbook)
    }

    /// Removes the probe's folder.
    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    /// The rules `bytes` broke: empty when every rejection named a usable `file:line:col`.
    func violations(_ bytes: [UInt8]) -> [String] {
        Self.write(bytes, to: document)
        var found: [Diagnostic] = []
        found += loader.validate(paths: [document]).diagnostics
        found += loader.validate(paths: [hostPlan]).diagnostics
        if let text = String(validating: bytes, as: UTF8.self) {
            do { _ = try loader.loadPinnedPlan(DocumentSource(kind: .plan, path: document, text: text)) } catch {
                found += error.diagnostics
            }
            do { _ = try loader.loadPinnedRunbook(DocumentSource(kind: .runbook, path: document, text: text)) } catch {
                found += error.diagnostics
            }
        }
        found += resolveEach(planAt: document)
        found += resolveEach(planAt: hostPlan)
        return locationProblems(found, document: bytes)
    }

    /// The diagnostics whose location is not a real place (the document's text is `document`).
    func locationProblems(_ diagnostics: [Diagnostic], document bytes: [UInt8]) -> [String] {
        var texts: [String: [UInt8]?] = [document: bytes]
        return diagnostics.compactMap { problem(with: $0, texts: &texts) }
    }

    /// Resolves the scenarios of a plan that loads (at most three, the first also with `-p` values)
    /// and a scenario it does not have.
    private func resolveEach(planAt path: String) -> [Diagnostic] {
        guard let plan = try? loader.loadPlan(at: path) else { return [] }
        var calls: [(String, [String: String])] = plan.scenarios.prefix(3).map { ($0.name, [:]) }
        if let first = plan.scenarios.first?.name {
            calls.append((first, ["region": "eu-west-1", "replicas": "3x", "grace": "5s", "nope": "1"]))
        }
        calls.append(("no-such-scenario", [:]))
        var found: [Diagnostic] = []
        for (name, given) in calls {
            do { _ = try loader.resolve(plan: plan, scenario: name, overrides: given) } catch {
                found += error.diagnostics
            }
        }
        return found
    }

    /// What is wrong with a diagnostic's location, or nil when it names a real place.
    private func problem(with diagnostic: Diagnostic, texts: inout [String: [UInt8]?]) -> String? {
        let at = diagnostic.location
        let text: [UInt8]?
        if let cached = texts[at.file] {
            text = cached
        } else {
            text = at.file.isEmpty ? nil : FileManager.default.contents(atPath: at.file).map { Array($0) }
            texts.updateValue(text, forKey: at.file)  // a nil (unreadable) is cached too
        }
        guard let text else {
            return "names a file that cannot be read: \(diagnostic)"
        }
        let lines = Self.lineBreaks(in: text) + 1
        guard at.line >= 1, at.line <= lines + 1, at.column >= 1 else {
            return "names line \(at.line) column \(at.column) of a \(lines)-line file: \(diagnostic)"
        }
        guard diagnostic.description.hasPrefix("\(at.file):\(at.line):\(at.column): ") else {
            return "does not start with file:line:col: \(diagnostic)"
        }
        return nil
    }

    /// Every byte sequence YAML may count as a line break (LF, CR, NEL, LS, PS): an upper bound.
    private static func lineBreaks(in bytes: [UInt8]) -> Int {
        var count = 0
        for (i, b) in bytes.enumerated() {
            if b == 0x0A || b == 0x0D { count += 1 }
            if b == 0x85, i > 0, bytes[i - 1] == 0xC2 { count += 1 }
            if b == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 {
                count += 1
            }
        }
        return count
    }

    private func write(_ text: String, to path: String) { Self.write(Array(text.utf8), to: path) }

    /// Writes without the fsync of FileManager's atomic write: the folder is scratch space.
    private static func write(_ bytes: [UInt8], to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot write \(path)")
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
    }

    /// A plan whose scenarios run `doc.yaml` with values of every param type, vars and secrets.
    static let hostPlanText = """
        plan: host
        owner: sre
        tier: 2
        vars: {dns_server: "127.0.0.1:5353", dr_db: "host=127.0.0.1"}
        secrets: {tsig: {env: FUZZ_TSIG}, pgpass: {file: /nonexistent/pg}}
        scenarios:
          s:
            runbook: doc.yaml
            with: {region: us-east-1, replicas: 4, ratio: 0.5, dry: true, grace: 30s, max_lag: 16MB, hosts: [a], labels: {k: v}}
            objectives: {rto: 45m, rpo: 5m}
          t:
            runbook: ./doc.yaml

        """

    /// A valid runbook with a param of every type, for fuzzed plans to name.
    static let runbookText = """
        runbook: r
        params:
          region: {type: string, required: true}
          replicas: {type: int, default: 2}
          ratio: {type: number, default: 0.5}
          dry: {type: bool, default: false}
          grace: {type: duration, default: 30s}
          max_lag: {type: size, default: 16MB}
          hosts: {type: list, default: [a, b]}
          labels: {type: map, default: {team: sre}}
        rto_window: {start: a, end: b}
        steps:
          - id: a
            action: approval
            with: {prompt: "Go to ${params.region}?"}
          - id: b
            action: command
            needs: [a]
            with: {argv: [echo, "${vars.dns_server}", "${secrets.tsig}", "${run.id}"]}

        """
}
