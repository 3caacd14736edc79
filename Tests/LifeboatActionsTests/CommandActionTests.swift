import Foundation
import LifeboatActions
import LifeboatCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("command action")
struct CommandActionTests {
    let action = CommandAction()

    @Test func succeedsAndReportsExitCodeOutputTailAndDeclaredOutputs() async throws {
        let script = "echo first; echo 'lifeboat-output: lsn=0/3000060'; echo oops >&2; echo 'lifeboat-output: timeline=2'"
        let result = try await action.run(in: request(["argv": ["/bin/sh", "-c", .string(script)]]))
        #expect(result.outputs["exit_code"] == 0)
        #expect(result.outputs["lsn"] == "0/3000060")
        #expect(result.outputs["timeline"] == "2")
        let output = try #require(result.outputs["output"]?.stringValue)
        #expect(output.contains("first"))
        #expect(output.contains("oops"), "stderr is part of the tail")
        #expect(result.summary.contains("exited 0"))
    }

    @Test func keepsOnlyTheLastLinesOfLongOutput() async throws {
        let result = try await action.run(in:
            request(["argv": ["/bin/sh", "-c", "i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done"], "output_tail": 3]))
        #expect(result.outputs["output"] == "line 4997\nline 4998\nline 4999")
    }

    @Test func wrongExitCodeIsARetryableFailureNamingTheCommandAndLastLine() async throws {
        let error = await lifeboatError {
            _ = try await action.run(in: request(["argv": ["/bin/sh", "-c", "echo starting; echo 'disk full' >&2; exit 3"]], step: "promote"))
        }
        #expect(error?.code == .actionFailed)
        #expect(error?.retryable == true)
        #expect(error?.message == "step 'promote': command `/bin/sh` exited with 3 (expected 0): disk full")
        #expect(error?.hint == "see the output tail in `lifeboat show r1`")
    }

    @Test func expectedExitCodesCanBeListed() async throws {
        let result = try await action.run(in: request(["argv": ["/bin/sh", "-c", "exit 3"], "expect_exit": [0, 3]]))
        #expect(result.outputs["exit_code"] == 3)
    }

    @Test func missingExecutableIsANonRetryableFailureNamingIt() async throws {
        let onPath = await lifeboatError { _ = try await action.run(in: request(["argv": ["no-such-program-lifeboat"]])) }
        #expect(onPath?.code == .actionFailed)
        #expect(onPath?.retryable == false)
        #expect(onPath?.message.contains("`no-such-program-lifeboat` was not found on PATH") == true)

        let dir = try TempDir()
        defer { dir.remove() }
        let relative = await lifeboatError { _ = try await action.run(in: request(["argv": ["./scripts/missing.sh"]], base: dir.path)) }
        #expect(relative?.message.contains("`./scripts/missing.sh` was not found at \(dir.path)/scripts/missing.sh") == true)

        try dir.write("plain.txt", "not a program")
        let notExecutable = await lifeboatError { _ = try await action.run(in: request(["argv": ["./plain.txt"]], base: dir.path)) }
        #expect(notExecutable?.message.contains("is not an executable file") == true)
        #expect(notExecutable?.retryable == false)
    }

    @Test func relativeArgv0ResolvesAgainstThePlanFolderAndCwdAgainstItToo() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("scripts"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("work"), withIntermediateDirectories: true)
        try dir.write("scripts/where.sh", "#!/bin/sh\npwd\necho \"region=$REGION\"\n", executable: true)
        let result = try await action.run(in:
            request(["argv": ["./scripts/where.sh"], "cwd": "work", "env": ["REGION": "us-east-1"]], base: dir.path))
        let output = try #require(result.outputs["output"]?.stringValue)
        let realWork = URL(fileURLWithPath: dir.file("work")).resolvingSymlinksInPath().path
        #expect(output.split(separator: "\n").first.map(String.init).map { $0 == dir.file("work") || $0 == realWork } == true)
        #expect(output.contains("region=us-east-1"))
    }

    @Test func environmentIsInheritedAndMergedOver() async throws {
        let result = try await action.run(in:
            request(["argv": ["/bin/sh", "-c", "echo \"home=$HOME extra=$LIFEBOAT_EXTRA\""], "env": ["LIFEBOAT_EXTRA": "1"]]))
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        #expect(result.outputs["output"] == .string("home=\(home) extra=1"))
    }

    @Test func missingWorkingDirectoryIsReported() async throws {
        let error = await lifeboatError { _ = try await action.run(in: request(["argv": ["/bin/true"], "cwd": "/nonexistent/lifeboat"])) }
        #expect(error?.code == .actionFailed)
        #expect(error?.message.contains("/nonexistent/lifeboat") == true)
    }

    @Test func shellIsUsedOnlyWhenWrittenExplicitly() async throws {
        let viaShell = try await action.run(in: request(["shell": "echo $((6 * 7)) | tr 4 X"]))
        #expect(viaShell.outputs["output"] == "X2")
        let viaArgv = try await action.run(in: request(["argv": ["/bin/echo", "$((6 * 7)) | tr 4 X"]]))
        #expect(viaArgv.outputs["output"] == "$((6 * 7)) | tr 4 X")

        let both = await lifeboatError { _ = try await action.run(in: request(["argv": ["/bin/true"], "shell": "true"])) }
        #expect(both?.code == .invalidInput)
        let neither = await lifeboatError { _ = try await action.run(in: request([:])) }
        #expect(neither?.code == .invalidInput)
    }

    @Test(arguments: [
        "$(touch MARKER)", "`touch MARKER`", "; touch MARKER", "&& touch MARKER", "| touch MARKER",
        "'; touch MARKER; echo '", "\"; touch MARKER; echo \"", "x\ntouch MARKER", "$(IFS=_;cmd=touch_MARKER;$cmd)",
    ])
    func argumentValuesWithShellMetacharactersArePassedVerbatim(_ template: String) async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let marker = dir.file("marker")
        let value = template.replacingOccurrences(of: "MARKER", with: marker)
        let result = try await action.run(in:
            request(["argv": ["/usr/bin/printf", "%s", .string(value)], "env": ["VALUE": .string(value)]], base: dir.path))
        #expect(result.outputs["output"] == .string(value))
        // The same value through the environment of an explicit shell script is data, not code.
        let viaEnv = try await action.run(in: request(["shell": "printf '%s' \"$VALUE\"", "env": ["VALUE": .string(value)]], base: dir.path))
        #expect(viaEnv.outputs["output"] == .string(value))
        #expect(!FileManager.default.fileExists(atPath: marker), "a value was executed by a shell")
    }

    @Test func cancellationKillsTheWholeProcessGroupPromptly() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let pidFile = dir.file("grandchild.pid")
        // The grandchild ignores SIGTERM, so only the group-wide SIGKILL sweep can stop it.
        let script = "sh -c 'trap \"\" TERM; sleep 100' & echo $! > \(pidFile); sleep 100 & wait"
        let action = action
        let started = ContinuousClock.now
        var stoppedAfter: Duration = .zero
        let error: LifeboatError? = await withTaskGroup(of: LifeboatError?.self) { group in
            group.addTask {
                do {
                    _ = try await action.run(in: request(["argv": ["/bin/sh", "-c", .string(script)]]))
                    return nil
                } catch {
                    return error as? LifeboatError
                }
            }
            _ = await eventually { FileManager.default.fileExists(atPath: pidFile) }
            try? await Task.sleep(for: .milliseconds(100))
            let cancelledAt = ContinuousClock.now
            group.cancelAll()
            let result = await group.next() ?? nil
            stoppedAfter = ContinuousClock.now - cancelledAt
            return result
        }
        #expect(error?.code == .cancelled)
        #expect(stoppedAfter < .seconds(20), "took \(stoppedAfter) to stop")  // vs a 100 s sleep; loose for busy CI
        let pidText = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let grandchild = try #require(pid_t(pidText))
        #expect(await eventually(seconds: 2) { !isAlive(grandchild) }, "grandchild \(grandchild) survived")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    /// SIGTERM goes to the whole process group, not only to the leader: a child that cleans up on
    /// SIGTERM gets to do so while its leader waits for it, before the SIGKILL sweep.
    @Test func cancellationSendsSIGTERMToTheWholeGroup() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        // A supervisor and its worker, both cleaning up on SIGTERM; the supervisor waits (up to 3 s,
        // past the 1 s grace) for the worker's cleanup before it exits.
        try dir.write("worker.py", """
            import os, signal, sys, time
            def stop(signum, frame):
                open(sys.argv[1] + "/worker-cleaned", "w").close()
                os._exit(0)
            signal.signal(signal.SIGTERM, stop)
            open(sys.argv[1] + "/worker-ready", "w").close()
            while True: time.sleep(0.05)
            """)
        try dir.write("supervisor.py", """
            import os, signal, subprocess, sys, time
            folder = sys.argv[1]
            def stop(signum, frame):
                deadline = time.time() + 3
                while time.time() < deadline and not os.path.exists(folder + "/worker-cleaned"): time.sleep(0.01)
                os._exit(0)
            signal.signal(signal.SIGTERM, stop)
            subprocess.Popen([sys.executable, folder + "/worker.py", folder])
            while True: time.sleep(0.05)
            """)
        let action = action
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try? await action.run(request(["argv": ["python3", .string(dir.file("supervisor.py")), .string(dir.path)]]))
            }
            _ = await eventually { FileManager.default.fileExists(atPath: dir.file("worker-ready")) }
            group.cancelAll()
            await group.waitForAll()
        }
        #expect(FileManager.default.fileExists(atPath: dir.file("worker-ready")))
        #expect(FileManager.default.fileExists(atPath: dir.file("worker-cleaned")), "the worker was not sent SIGTERM")
    }

    /// A stopped script's SIGTERM trap runs to its end, printing included: the output pipe is
    /// still drained while the group stops (a closed pipe would kill it with SIGPIPE first).
    @Test func aStoppedScriptsTermTrapRunsToItsEnd() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let ready = dir.file("ready"), cleaned = dir.file("cleaned")
        let script = "trap 'echo releasing the lock; echo done > \(cleaned); exit 0' TERM; touch \(ready); sleep 100 & wait"
        let action = action
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = try? await action.run(in: request(["shell": .string(script)])) }
            _ = await eventually { FileManager.default.fileExists(atPath: ready) }
            try? await Task.sleep(for: .milliseconds(100))
            group.cancelAll()
            await group.waitForAll()
        }
        #expect(FileManager.default.fileExists(atPath: ready))
        #expect(FileManager.default.fileExists(atPath: cleaned), "the TERM trap did not run to its end")
    }

    /// The child starts clean whatever this process did: no signal ignored or blocked (SIGPIPE
    /// ignored here would make `yes | head` in a step fail with "Broken pipe"), no descriptor but 0, 1, 2.
    @Test func aCommandStartsWithDefaultSignalsAndOnlyTheStandardDescriptors() async throws {
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        let leaked = open("/dev/null", O_RDONLY)  // no O_CLOEXEC: a plain fork/exec would pass it on
        defer { close(leaked) }
        let status = try await action.run(in: request(["argv": ["grep", "^Sig\\(Ign\\|Blk\\)", "/proc/self/status"]]))
        // Signals 1-31 (glibc keeps 32 and 33, its own, out of any program's reach).
        let masks = (status.outputs["output"]?.stringValue ?? "").split(separator: "\n").map { line in
            UInt64(line.split(separator: "\t").last ?? "", radix: 16).map { $0 & 0x7fff_ffff }
        }
        #expect(masks == [0, 0], "SigBlk and SigIgn: \(status.outputs["output"] ?? .null)")
        let descriptors = try await action.run(in: request(["argv": ["ls", "/proc/self/fd"]]))
        // ls's own descriptor for the folder it lists is the fourth.
        #expect(descriptors.outputs["output"] == "0\n1\n2\n3")
    }

    /// On the shared runtime the wait for the child is handed to a thread; on the action's own
    /// executor (as the engine runs an attempt) it is done where the attempt runs.
    @Test(arguments: [false, true]) func cancellationStopsAPlainSleepPromptly(onItsExecutor: Bool) async throws {
        let action = action
        let stoppedAfter: Duration = await withTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: onItsExecutor ? action.executor : nil) {
                _ = try? await action.run(in: request(["argv": ["sleep", "100"]]))
            }
            try? await Task.sleep(for: .milliseconds(200))
            let cancelledAt = ContinuousClock.now
            group.cancelAll()
            await group.waitForAll()
            return ContinuousClock.now - cancelledAt
        }
        #expect(stoppedAfter < .seconds(20), "took \(stoppedAfter)")  // vs a 100 s sleep; loose for busy CI
    }

    /// The engine's timeout race, run where the engine runs an attempt: the command blocks one
    /// thread of the executor while the timer, on another, stops it.
    @Test func aTimeoutStopsACommandRunningOnItsExecutor() async throws {
        let action = action
        let started = ContinuousClock.now
        let outcome = try await Task(executorPreference: action.executor) {
            try await SystemClock().withTimeout(ms: 300) { try await action.run(in: request(["argv": ["sleep", "100"]])) }
        }.value
        #expect(outcome == nil, "the command was not stopped by its timeout")
        #expect(ContinuousClock.now - started < .seconds(20))  // vs a 100 s sleep; loose for busy CI
    }

    @Test func aLeaderThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let action = action
        let stoppedAfter: Duration = await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = try? await action.run(in: request(["argv": ["/bin/sh", "-c", "trap '' TERM; sleep 100"]])) }
            try? await Task.sleep(for: .milliseconds(200))
            let cancelledAt = ContinuousClock.now
            group.cancelAll()
            await group.waitForAll()
            return ContinuousClock.now - cancelledAt
        }
        #expect(stoppedAfter >= .milliseconds(900) && stoppedAfter < .seconds(15), "took \(stoppedAfter)")  // grace 1 s; loose for busy CI
    }

    @Test func outputTailIsBoundedInBytes() async throws {
        let result = try await action.run(in:
            request(["shell": "i=0; while [ $i -lt 200 ]; do head -c 3000 /dev/zero | tr '\\0' x; echo; i=$((i+1)); done", "output_tail": 1000]))
        let output = try #require(result.outputs["output"]?.stringValue)
        #expect(output.utf8.count <= 64 * 1024)
        #expect(output.utf8.count > 60 * 1024)
    }

    @Test func verifyMapsExitCodesToOutcomes() async throws {
        let base: [String: Value] = ["argv": ["/bin/false"]]
        var params = base
        params["verify"] = ["argv": ["/bin/sh", "-c", "echo 'lifeboat-output: state=promoted'; exit 0"]]
        guard case .done(let result) = try await action.verify(in: request(params)) else {
            Issue.record("exit 0 should mean done")
            return
        }
        #expect(result.outputs["state"] == "promoted")

        params["verify"] = ["shell": "exit 1"]
        guard case .notDone = try await action.verify(in: request(params)) else {
            Issue.record("exit 1 should mean not done")
            return
        }
        params["verify"] = ["argv": ["/bin/sh", "-c", "exit 2"]]
        guard case .undecidable = try await action.verify(in: request(params)) else {
            Issue.record("exit 2 should be undecidable")
            return
        }
        #expect(try await action.verify(in: request(base)) == .undecidable("no verify command"))
    }

    @Test func secretsAreMaskedInOutputsAndErrors() async throws {
        let masker = SecretMasker(secrets: ["s3cr3t-token"])
        let result = try await action.run(in:
            request(["argv": ["/bin/sh", "-c", "echo token is s3cr3t-token; echo 'lifeboat-output: tok=s3cr3t-token'"]], masker: masker))
        #expect(result.outputs["output"] == "token is ***\nlifeboat-output: tok=***")
        #expect(result.outputs["tok"] == "***")
        let error = await lifeboatError {
            _ = try await action.run(in: request(["argv": ["/bin/sh", "-c", "echo bad s3cr3t-token; exit 1"]], masker: masker))
        }
        #expect(error?.message.contains("s3cr3t-token") == false)
        #expect(error?.message.hasSuffix("bad ***") == true)
        #expect(error?.detail?.contains("s3cr3t-token") == false)
    }

    @Test func preflightChecksTheProgramAndWorkingDirectory() async throws {
        #expect(try await action.preflight(in: request(["argv": ["true"]])).isOK)
        #expect(try await action.preflight(in: request(["shell": "true"])).isOK)
        #expect(try await !action.preflight(in: request(["argv": ["no-such-program-lifeboat"]])).isOK)
        #expect(try await !action.preflight(in: request(["argv": ["true"], "cwd": "/nonexistent/lifeboat"])).isOK)
        await #expect(throws: LifeboatError.self) { _ = try await action.preflight(in: request(["argv": "not a list"])) }
    }
}

extension PreflightReport {
    var isOK: Bool {
        if case .ok = self { return true }
        return false
    }
}
