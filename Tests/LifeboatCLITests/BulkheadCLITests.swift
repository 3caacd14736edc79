import Foundation
import LifeboatTestSupport
import Testing

/// Bulkheads through the built binary: three parallel steps against one target with a bulkhead of 1
/// run one at a time, and the waits are in the events.
@Suite("CLI: bulkheads", .serialized)
struct BulkheadCLITests {
    /// Three `notify` steps with no `needs` against one receiver that takes 0.4 s per request; the
    /// plan caps the receiver's endpoint (the default bulkhead key) at 1.
    @Test(arguments: TestStore.allCases)
    func aBulkheadOfOneOverThreeParallelStepsRunsThemOneAtATime(store: TestStore) async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let cli = try await CLI.on(store)
        var steps = ""
        for id in ["tell-a", "tell-b", "tell-c"] {
            steps += """
                  - id: \(id)
                    action: notify
                    with: {url: "\(receiver.url)/slow/0.4", text: "\(id)"}

                """
        }
        try writeScenario(cli, steps: steps, secrets: "bulkheads: {\"\(receiver.url)\": 1}")
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let arrivals = receiver.requests().map(\.at).sorted()
        #expect(arrivals.count == 3)
        for (earlier, later) in zip(arrivals, arrivals.dropFirst()) {
            #expect(later - earlier >= 0.39, "two requests overlapped: \(arrivals)")
        }
        let id = try #require(try cli.newestRunID())
        let events = try cli.run("show", id, "--events").stdout
        let waits = events.split(separator: "\n").filter { $0.contains("waiting for bulkhead \(receiver.url) (1 step at a time)") }
        #expect(waits.count == 2, "\(events)")
        #expect(result.stdout.contains("waiting for bulkhead"), "the live view shows the wait: \(result.stdout)")
    }

    /// Steps naming their bulkhead (`bulkhead: db`): the plan's limit applies to the name; a step
    /// of another bulkhead runs beside them.
    @Test(arguments: TestStore.allCases)
    func stepsNamingTheirBulkheadShareItsLimit(store: TestStore) async throws {
        let cli = try await CLI.on(store)
        try cli.write("work.sh", "#!/bin/sh\necho \"start $1 $(date +%s.%N)\" >> \"$2\"\nsleep 0.3\necho \"end $1 $(date +%s.%N)\" >> \"$2\"\n")
        chmod(cli.path("work.sh"), 0o755)
        var steps = ""
        for (id, bulkhead) in [("a", "db"), ("b", "db"), ("c", "dns")] {
            steps += """
                  - id: \(id)
                    action: command
                    bulkhead: \(bulkhead)
                    with: {argv: [\(cli.path("work.sh")), \(id), \(cli.path("log"))]}

                """
        }
        try writeScenario(cli, steps: steps, secrets: "bulkheads: {db: 1}")
        #expect(try cli.run("validate", "plans/p.yaml").status == 0)
        let result = try cli.run("run", "plans/p.yaml", "-s", "failover")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = try String(contentsOfFile: cli.path("log"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ") }
        func time(_ what: String, _ id: String) -> Double { Double(lines.first { $0[0] == what && $0[1] == id }?[2] ?? "") ?? 0 }
        let (first, second) = time("start", "a") < time("start", "b") ? ("a", "b") : ("b", "a")
        #expect(time("start", second) >= time("end", first), "a and b overlapped")
        // c (bulkhead dns, no limit) ran beside the first of them.
        #expect(time("start", "c") < time("end", first))
    }

    @Test func aBadBulkheadLimitIsRefusedWithItsPlace() throws {
        try expectPlanRefused("bulkheads: {db: 0}", atLine: 5, "bulkhead 'db' must be a whole number of steps, at least 1")
    }
}
