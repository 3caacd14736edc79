import LifeboatCore
import LifeboatReports
import LifeboatTestSupport
import Synchronization
import Testing

/// Real runs for the report tests: the real engine with scripted actions, the in-memory store and a
/// scaled clock (100×), so the event logs are exactly what a run records.
enum ReportFixtures {
    struct Recorded {
        var run: RunRecord
        var steps: [StepRecord]
        var events: [RunEvent]
        var documents: [PinnedDocument]

        func report() throws -> RunReport {
            try RunReport.build(run: run, steps: steps, events: events, documents: documents)
        }
    }

    /// A person who takes `delayMs` of real time (100× that on the run's clock) to approve.
    struct SlowApprover: ApprovalSource {
        var delayMs: Int
        var by: String
        func ask(runID: String, step: StepHeader, prompt: String, notYou: String?) async throws -> ApprovalDecision? {
            try await Task.sleep(for: .milliseconds(delayMs))
            return ApprovalDecision(approved: true, caller: .named(by), via: "terminal")
        }
    }

    static let hostileTitle = "Flip <script>alert('x')</script> & \"quote\" | pipe"

    /// prepare → approve (a person waits ~3 s) → db, dns and cache in parallel; flaky (after db) fails
    /// twice and succeeds on its third attempt; cache fails late, so the run fails. The RTO window is
    /// prepare → flaky with a 5 s objective, which the run misses.
    static func failedRunWithRetriesApprovalAndParallelBranches() async throws -> Recorded {
        let policy = RetryPolicy(attempts: 4, delayMs: 1_000, maxDelayMs: 60_000, jitter: .full)
        var steps = [
            TestHeaders.step("prepare"),
            TestHeaders.step("approve<prepare", action: "approval"),
            TestHeaders.step("db<approve"),
            TestHeaders.step("dns<approve"),
            TestHeaders.step("cache<approve"),
            TestHeaders.step("flaky<db", retry: policy),
        ]
        steps[3].title = hostileTitle
        let header = TestHeaders.header(
            steps, concurrency: 4, objectives: Objectives(rtoMs: 5_000, rpoMs: 60_000),
            window: RTOWindow(start: "prepare", end: "flaky"))
        let counter = Counter()
        let action = ScriptedAction { request in
            switch request.stepID {
            case "prepare": try await Task.sleep(for: .milliseconds(20))
            case "db": try await Task.sleep(for: .milliseconds(40))
            case "dns": try await Task.sleep(for: .milliseconds(20))
            case "cache":
                try await Task.sleep(for: .milliseconds(250))
                throw LifeboatError(.actionFailed, "cache warm-up failed: <b>503</b> from redis", retryable: false)
            case "flaky":
                try await Task.sleep(for: .milliseconds(10))
                if counter.next("flaky") < 3 { throw LifeboatError(.actionFailed, "503 from target", retryable: true) }
            default: break
            }
            return ActionResult(summary: "did \(request.stepID)")
        }
        return try await record(header, actions: [action, ScriptedAction(name: "approval")],
                                approvals: SlowApprover(delayMs: 30, by: "alice"))
    }

    /// Two branches after an approval given by `--yes`; every step succeeds, RTO met.
    static func succeededRunApprovedByFlag() async throws -> Recorded {
        var header = TestHeaders.header(
            [TestHeaders.step("declare", action: "approval"), TestHeaders.step("a<declare"), TestHeaders.step("b<declare"),
             TestHeaders.step("c<a,b"), TestHeaders.step("later", applies: false)],
            objectives: Objectives(rtoMs: 3_600_000))
        header.approvedByFlag = true
        let action = ScriptedAction { request in
            try await Task.sleep(for: .milliseconds(15))
            return ActionResult(summary: "did \(request.stepID)")
        }
        return try await record(header, actions: [action, ScriptedAction(name: "approval")], autoApprove: true)
    }

    /// About one second of steps (on the run's 100× clock) against a two-minute objective: six
    /// steps, two of them parallel, the shortest about 30 ms.
    static func shortRunAgainstALongObjective() async throws -> Recorded {
        let header = TestHeaders.header(
            [TestHeaders.step("fence"), TestHeaders.step("promote<fence"), TestHeaders.step("dns<promote"),
             TestHeaders.step("scale<promote"), TestHeaders.step("smoke<dns,scale"), TestHeaders.step("notify<smoke")],
            objectives: Objectives(rtoMs: 120_000))
        let realMs = ["fence": 1, "promote": 3, "dns": 2, "scale": 2, "smoke": 1, "notify": 1]
        let action = ScriptedAction { request in
            try await Task.sleep(for: .milliseconds(realMs[request.stepID] ?? 1))
            return ActionResult(summary: "did \(request.stepID)")
        }
        return try await record(header, actions: [action])
    }

    /// An approval nobody can give here (no terminal, no wait): the run pauses awaiting it.
    static func runPausedAtAnApproval() async throws -> Recorded {
        let header = TestHeaders.header(
            [TestHeaders.step("warm"), TestHeaders.step("declare<warm", action: "approval"), TestHeaders.step("go<declare")],
            objectives: Objectives(rtoMs: 600_000))
        return try await record(header, actions: [ScriptedAction(), ScriptedAction(name: "approval")], waitForApprovals: false)
    }

    /// Two seconds of work (on the run's clock) under a probe every 100 ms that measures the outage
    /// and fails from 0.5 s to 1.2 s after its first sample.
    static func runWithAnOutageProbe(judgedOnOutage: Bool) async throws -> Recorded {
        var header = TestHeaders.header(
            [TestHeaders.step("work")], objectives: Objectives(rtoMs: 600_000, judgeRTOBy: judgedOnOutage ? .outage : nil))
        header.probes = [ProbeHeader(id: "users", action: "probe", intervalMs: 100, timeoutMs: 100, measuresOutage: true)]
        let work = ScriptedAction { request in
            try await request.clock.sleep(ms: 2_000)
            return ActionResult(summary: "worked")
        }
        let began = Mutex<Int64?>(nil)
        let probe = ScriptedAction(name: "probe") { request in
            let now = request.clock.monoMs()
            let start = began.withLock { first in
                if first == nil { first = now }
                return first!
            }
            if (500..<1_200).contains(now - start) { throw LifeboatError(.actionFailed, "HTTP 503") }
            return ActionResult(summary: "up")
        }
        let written = Probe(id: "users", action: "probe", intervalMs: 100, location: SourceLocation(file: "r.yaml", line: 1, column: 1))
        // The outage is measured from the samples' real times: at a tenth of the other fixtures'
        // speed, a sample the machine makes 2 ms late (loaded, a build beside the tests) moves the
        // figure by 20 ms of the run's time, not 200.
        return try await record(header, actions: [work, probe], probes: [written], clockScale: 10)
    }

    static func record(
        _ header: RunHeader, actions: [any ActionHandler], approvals: (any ApprovalSource)? = nil, autoApprove: Bool = false,
        waitForApprovals: Bool = true, probes: [Probe] = [], clockScale: Int64 = 100
    ) async throws -> Recorded {
        let store = InMemoryStore(hashText: { "sha-of-" + String($0.count) })
        let clock = ScaledClock(scale: clockScale)
        let runID = "run-report-1"
        let created = RunEvent(runID: runID, atMs: clock.wallMs(), monoMs: clock.monoMs(), session: "s0", kind: .runCreated(header))
        try await store.createRun(id: runID, created: created, documents: [
            DocumentSource(kind: .plan, path: "plans/<p>.yaml", text: "plan: p\n"),
            DocumentSource(kind: .runbook, path: "runbooks/r.yaml", text: "runbook: r\nsteps: []\n"),
        ])
        let engine = RunEngine(
            store: store, actions: ActionRegistry(actions), clock: clock,
            configuration: EngineConfiguration(
                pid: 42, host: "test", operatorName: "olivia", session: "s1", autoApprove: autoApprove,
                waitForApprovals: waitForApprovals, controlPollMs: 1_000),
            approvals: approvals, random: { 0.5 })
        let inputs = RunInputs(
            steps: TestHeaders.runbookSteps(header), render: RenderContext(run: ["id": .string(runID)]),
            masker: SecretMasker(secrets: []), baseDirectory: "/tmp", probes: probes)
        _ = try await engine.start(runID: runID, inputs: inputs)
        return Recorded(
            run: try #require(try await store.run(runID)), steps: try await store.steps(of: runID),
            events: try await store.events(of: runID), documents: try await store.documents(of: runID))
    }
}
