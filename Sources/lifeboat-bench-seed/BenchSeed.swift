import Foundation
import LifeboatCore
import LifeboatStore

/// Seeds a large store for `scripts/bench-evidence` through Lifeboat's own store code: every run in
/// the store (real runs the CLI made) is cloned until the store holds `--runs` runs, each clone
/// with a new id and shifted in time (one run every ~10 minutes over the past two years), created
/// with `createRun` and recorded with `append`, so the hash chain, projections, lease and
/// measurement columns are written exactly as a real run writes them.
///
///   lifeboat-bench-seed STORE [--runs 100000]
@main
struct BenchSeed {
    static func main() async {
        let args = CommandLine.arguments
        guard args.count >= 2 else {
            FileHandle.standardError.write(Data("usage: lifeboat-bench-seed STORE [--runs N]\n".utf8))
            exit(2)
        }
        let wanted = args.firstIndex(of: "--runs").flatMap { Int(args[$0 + 1]) } ?? 100_000
        do {
            try await seed(path: args[1], runs: wanted)
        } catch {
            FileHandle.standardError.write(Data("lifeboat-bench-seed: \(error)\n".utf8))
            exit(1)
        }
    }

    static func seed(path: String, runs wanted: Int) async throws {
        let store = try SQLiteStore(path: path)
        var templates: [(events: [RunEvent], documents: [DocumentSource])] = []
        for run in try await store.runs(matching: RunFilter(limit: 1_000)).reversed() {
            templates.append((try await store.events(of: run.id), try await store.documents(of: run.id).map(\.source)))
        }
        guard !templates.isEmpty else { throw LifeboatError(.notFound, "no runs to clone in \(path)") }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let span: Int64 = 2 * 365 * 86_400_000
        let interval = span / Int64(max(wanted, 1))
        let started = Date()
        for i in 0..<max(wanted - templates.count, 0) {
            let template = templates[i % templates.count]
            let id = String(format: "bench-%07d", i)
            let delta = now - span + Int64(i) * interval - template.events[0].atMs
            let events = template.events.map { event in
                RunEvent(runID: id, atMs: event.atMs + delta, monoMs: event.monoMs, session: event.session, kind: event.kind)
            }
            try await store.createRun(id: id, created: events[0], documents: template.documents)
            try await store.append(Array(events.dropFirst()), consumingControls: [])
            if i % 10_000 == 9_999 {
                FileHandle.standardError.write(Data("  \(i + 1) runs (\(Int(Date().timeIntervalSince(started))) s)\n".utf8))
            }
        }
    }
}
