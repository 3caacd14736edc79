import Foundation
import LifeboatCore
@testable import LifeboatStore
import Synchronization
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

    @Test func releasingDeletesTheLockFile() throws {
        let store = try temporaryFolder() + "/state.db"
        for run in ["r1", "r2", "r3"] { try ExecutorLock.acquire(storePath: store, runID: run).release() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: store + ".locks") == [])
        #expect(ExecutorLock.liveHolder(storePath: store, runID: "r1") == nil)
    }

    /// The interleaving deletion opens: a process opens the file, its holder releases (deleting it),
    /// and then the process's lock succeeds, on a file that is not the run's any more.
    @Test func aLockOnADeletedFileIsNotTheRunsLock() throws {
        let store = try temporaryFolder() + "/state.db"
        let first = try ExecutorLock.acquire(storePath: store, runID: "r1")
        let late = open(first.path, O_RDWR | O_CLOEXEC)
        #expect(late >= 0)
        defer { close(late) }
        #expect(ExecutorLock.isFile(at: first.path, late))
        first.release()
        #expect(flock(late, LOCK_EX | LOCK_NB) == 0)
        #expect(!ExecutorLock.isFile(at: first.path, late))

        // The run's lock is still free to take, and then excludes others as before.
        let second = try ExecutorLock.acquire(storePath: store, runID: "r1")
        #expect(!ExecutorLock.isFile(at: second.path, late))
        #expect(ExecutorLock.liveHolder(storePath: store, runID: "r1") == getpid())
        let error = #expect(throws: LifeboatError.self) { try ExecutorLock.acquire(storePath: store, runID: "r1") }
        #expect(error?.code == .leaseHeld)
    }

    /// Two threads take and release one run's lock as fast as they can: never both hold it, though
    /// each release deletes the file the other may have just opened.
    @Test func neverHasTwoHoldersWhileFilesComeAndGo() throws {
        let store = try temporaryFolder() + "/state.db"
        let holders = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let taken = Atomic<Int>(0)
        let refused = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            for _ in 0..<5_000 {
                guard let lock = try? ExecutorLock.acquire(storePath: store, runID: "r1") else {
                    refused.add(1, ordering: .relaxed)
                    continue
                }
                taken.add(1, ordering: .relaxed)
                if holders.add(1, ordering: .sequentiallyConsistent).newValue > 1 { overlaps.add(1, ordering: .relaxed) }
                usleep(20)  // holds it a moment, as a holder does
                holders.subtract(1, ordering: .sequentiallyConsistent)
                lock.release()
            }
        }
        #expect(overlaps.load(ordering: .relaxed) == 0)
        // Both outcomes happened many times: the threads did contend.
        #expect(taken.load(ordering: .relaxed) > 100)
        #expect(refused.load(ordering: .relaxed) > 100)
    }

    @Test func isReleasedWhenTheHolderGoesAway() throws {
        let store = try temporaryFolder() + "/state.db"
        do { _ = try ExecutorLock.acquire(storePath: store, runID: "r1") }
        _ = try ExecutorLock.acquire(storePath: store, runID: "r1")
    }

    @Test func isReleasedWhenTheHolderProcessIsKilled() throws {
        let store = try temporaryFolder() + "/state.db"
        // Make the lock folder exist, then let a child process take the lock as `acquire` does and
        // hold it; it says so on its standard output.
        try ExecutorLock.acquire(storePath: store, runID: "r1").release()
        let path = ExecutorLock.lockPath(storePath: store, runID: "r1")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = [
            "python3", "-c",
            """
            import fcntl, os, sys, time
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0); os.write(fd, (str(os.getpid()) + '\\n').encode())
            print('locked', flush=True)
            time.sleep(60)
            """,
            path,
        ]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        let said = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(said.hasPrefix("locked"))

        let refusal = #expect(throws: LifeboatError.self) { try ExecutorLock.acquire(storePath: store, runID: "r1") }
        #expect(refusal?.code == .leaseHeld)
        #expect(refusal?.message.contains("pid \(child.processIdentifier)") == true)

        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let lock = try ExecutorLock.acquire(storePath: store, runID: "r1")
        #expect(lock.isHeld)
    }

    @Test func refusesARunIDThatIsAPath() {
        #expect(throws: LifeboatError.self) { try ExecutorLock.acquire(storePath: "/tmp/x.db", runID: "../etc") }
    }
}
