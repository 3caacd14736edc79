import Foundation
import LifeboatCore
import LifeboatStore
import Testing

@Suite struct ExecutorLockTests {
    @Test func excludesASecondHolderUntilReleased() throws {
        let store = try temporaryFolder() + "/state.db"
        let lock = try ExecutorLock.acquire(storePath: store, runID: "r1")
        #expect(lock.path == store + ".locks/r1.lock")
        #expect(fileMode(lock.path) == 0o600)

        let error = #expect(throws: LifeboatError.self) { try ExecutorLock.acquire(storePath: store, runID: "r1") }
        #expect(error?.code == .leaseHeld)
        #expect(error?.message == "run r1 is being executed by another lifeboat process (pid \(getpid()))")

        // Other runs are independent.
        let other = try ExecutorLock.acquire(storePath: store, runID: "r2")
        other.release()

        lock.release()
        #expect(!lock.isHeld)
        lock.release()
        let again = try ExecutorLock.acquire(storePath: store, runID: "r1")
        #expect(again.isHeld)
    }

    @Test func isReleasedWhenTheHolderGoesAway() throws {
        let store = try temporaryFolder() + "/state.db"
        do { _ = try ExecutorLock.acquire(storePath: store, runID: "r1") }
        _ = try ExecutorLock.acquire(storePath: store, runID: "r1")
    }

    @Test func isReleasedWhenTheHolderProcessIsKilled() throws {
        let store = try temporaryFolder() + "/state.db"
        // Make the lock file exist, then let a child process take it and hold it.
        try ExecutorLock.acquire(storePath: store, runID: "r1").release()
        let path = ExecutorLock.lockPath(storePath: store, runID: "r1")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = [
            "python3", "-c",
            """
            import fcntl, os, sys, time
            f = open(sys.argv[1], 'r+')
            fcntl.flock(f, fcntl.LOCK_EX)
            f.truncate(0); f.write(str(os.getpid()) + '\\n'); f.flush()
            time.sleep(60)
            """,
            path,
        ]
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }

        var refusal: LifeboatError?
        for _ in 0..<200 {
            do {
                try ExecutorLock.acquire(storePath: store, runID: "r1").release()
                usleep(20_000)
            } catch {
                if error.message.contains("pid \(child.processIdentifier)") {
                    refusal = error
                    break
                }
                usleep(20_000)
            }
        }
        #expect(refusal?.code == .leaseHeld)

        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let lock = try ExecutorLock.acquire(storePath: store, runID: "r1")
        #expect(lock.isHeld)
    }

    @Test func refusesARunIDThatIsAPath() {
        #expect(throws: LifeboatError.self) { try ExecutorLock.acquire(storePath: "/tmp/x.db", runID: "../etc") }
    }
}
