import Foundation
import LifeboatActions
import LifeboatCore
import Testing

@Suite("wait action")
struct WaitActionTests {
    let registry = StandardActions.registry()
    var wait: any ActionHandler { registry.handler("wait")! }

    @Test func fixedDurationWaitsThatLong() async throws {
        let result = try await wait.run(in: request(["duration": "150ms"]))
        let waited = try #require(result.outputs["waited_ms"]?.intValue)
        #expect(waited >= 150 && waited < 10_000)  // the upper bound only catches a runaway wait: CI machines are busy
        #expect(result.outputs["checks"] == 0)
    }

    @Test func untilPollsANestedCheckUntilItPasses() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let flag = dir.file("ready")
        let wait = wait
        let result = try await withThrowingTaskGroup(of: ActionResult?.self) { group in
            group.addTask {
                try await wait.run(in:
                    request([
                        "until": ["action": "command", "with": ["argv": ["test", "-f", .string(flag)]]],
                        "interval": "50ms", "timeout": "30s",
                    ]))
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(1_000))  // several checks fail first, even on a loaded machine
                _ = FileManager.default.createFile(atPath: flag, contents: Data())
                return nil
            }
            var passed: ActionResult?
            for try await r in group where r != nil { passed = r }
            return try #require(passed)
        }
        let checks = try #require(result.outputs["checks"]?.intValue)
        #expect(checks >= 2)
        #expect(result.outputs["waited_ms"]?.intValue.map { $0 >= 250 } == true)
        #expect(result.outputs["result"]?.mapValue?["exit_code"] == 0)
    }

    @Test func untilAnHTTPCheckPasses() async throws {
        try await TestHTTPServer.withServer { port in
            let result = try await StandardActions.registry().handler("wait")!.run(in:
                request(["until": ["action": "http.check", "with": ["url": .string("http://127.0.0.1:\(port)/health")]]]))
            #expect(result.outputs["checks"] == 1)
            #expect(result.outputs["result"]?.mapValue?["status"] == 200)
        }
    }

    @Test func untilTimesOutWithTheLastFailure() async throws {
        let started = ContinuousClock.now
        let error = await lifeboatError {
            _ = try await wait.run(in:
                request(["until": ["action": "command", "with": ["argv": ["/bin/false"]]], "interval": "100ms", "timeout": "8s"], step: "ready"))
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.code == .actionFailed)
        #expect(error?.retryable == true)
        #expect(error?.message.hasPrefix("step 'ready': command did not pass within 8s") == true)
        #expect(error?.message.contains("; last failure: command `/bin/false` exited with 1 (expected 0)") == true, "\(String(describing: error))")
        #expect(elapsed >= .seconds(8) && elapsed < .seconds(30))
    }

    @Test func aHangingCheckCannotOutliveTheTimeout() async throws {
        let started = ContinuousClock.now
        let error = await lifeboatError {
            _ = try await wait.run(in: request(["until": ["action": "command", "with": ["argv": ["sleep", "30"]]], "timeout": "300ms"]))
        }
        #expect(error?.code == .actionFailed)
        #expect(error?.message.contains("the last check was still running when time ran out") == true)
        #expect(ContinuousClock.now - started < .seconds(10))  // the check would take 30 s
    }

    @Test func badNestedParametersStopAtOnce() async throws {
        let error = await lifeboatError {
            _ = try await wait.run(in: request(["until": ["action": "http.check", "with": ["url": "ftp://x/"]], "timeout": "10s"]))
        }
        #expect(error?.code == .invalidInput)
        let nested = await lifeboatError { _ = try await wait.run(in: request(["until": ["action": "wait", "with": ["duration": "1s"]]])) }
        #expect(nested?.code == .invalidInput)
        let both = await lifeboatError { _ = try await wait.run(in: request(["duration": "1s", "until": ["action": "command"]])) }
        #expect(both?.code == .invalidInput)
    }

    @Test func cancellationStopsAWaitPromptly() async throws {
        let wait = wait
        for params: [String: Value] in [
            ["duration": "1m"], ["until": ["action": "command", "with": ["argv": ["/bin/false"]]], "interval": "10s"],
        ] {
            let (error, elapsed): (LifeboatError?, Duration) = await withTaskGroup(of: LifeboatError?.self) { group in
                group.addTask {
                    do { _ = try await wait.run(in: request(params)); return nil } catch { return error as? LifeboatError }
                }
                try? await Task.sleep(for: .milliseconds(150))
                let cancelledAt = ContinuousClock.now
                group.cancelAll()
                let e = await group.next() ?? nil
                return (e, ContinuousClock.now - cancelledAt)
            }
            #expect(error?.code == .cancelled)
            #expect(elapsed < .seconds(9))  // vs a 1 min wait or a 10 s interval; loose for a loaded CI
        }
    }
}
