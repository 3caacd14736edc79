import Foundation
import Synchronization
import Testing

@testable import LifeboatActions

#if canImport(Glibc)
import Glibc
#endif

/// The threads commands wait on (`DetachedThread`) and the remembered `PATH` lookups.
@Suite struct BlockingThreadsTests {
    /// A work that blocks never makes another wait: the second runs while the first still blocks.
    @Test func aBlockedWorkNeverHoldsUpAnother() async {
        let released = DispatchSemaphore(value: 0)
        let firstDone = DispatchSemaphore(value: 0)
        DetachedThread.start {
            released.wait()
            firstDone.signal()
        }
        await withCheckedContinuation { continuation in
            DetachedThread.start {
                released.signal()  // the second runs although the first still waits for it
                continuation.resume()
            }
        }
        firstDone.wait()
    }

    /// Works that come one after another share a thread instead of starting one each.
    @Test func aFinishedThreadTakesTheNextWork() async {
        var threads = Set<String>()
        for _ in 0..<50 {
            threads.insert(await withCheckedContinuation { continuation in
                DetachedThread.start { continuation.resume(returning: Self.threadID()) }
            })
            try? await Task.sleep(for: .milliseconds(2))  // the thread goes back to waiting
        }
        #expect(threads.count < 5)
    }

    /// A task that prefers `DetachedThread.executor` runs on these threads, where a command may
    /// wait for its child; any other task does not.
    @Test func aTaskPreferringTheExecutorRunsOnTheseThreads() async {
        #expect(await Task(executorPreference: DetachedThread.executor) { DetachedThread.isCurrent }.value)
        let inAGroup = await withTaskGroup(of: Bool.self) { group in
            group.addTask(executorPreference: DetachedThread.executor) { DetachedThread.isCurrent }
            return await group.next() ?? false
        }
        #expect(inAGroup)
        #expect(await Task.detached { DetachedThread.isCurrent }.value == false)
        #expect(await Task(executorPreference: nil) { DetachedThread.isCurrent }.value == false)
    }

    /// A job of the executor that blocks never holds up another job of it: the second runs while
    /// the first still blocks (it waits 10 s at most, so a failure does not hang the suite).
    @Test func aBlockedJobOfTheExecutorNeverHoldsUpAnother() async {
        let released = DispatchSemaphore(value: 0)
        let first = Task(executorPreference: DetachedThread.executor) {
            released.wait(timeout: .now() + .seconds(10)) == .success
        }
        try? await Task.sleep(for: .milliseconds(50))  // the first blocks by now
        await Task(executorPreference: DetachedThread.executor) { released.signal() }.value
        #expect(await first.value, "the second job waited for the first")
    }

    /// The kernel's id of the calling thread (`/proc/thread-self` links to `PID/task/TID`): unlike
    /// `pthread_self()`, a new thread never reuses it at once.
    private static func threadID() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? "?"
    }

    /// A remembered lookup is used while its file can still run; then `PATH` is searched again.
    @Test func aRememberedLookupIsDroppedWhenItsFileCannotRunAnyMore() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lookup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for folder in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
            FileManager.default.createFile(
                atPath: "\(root)/\(folder)/tool", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        }
        let searchPath = "\(root)/a:\(root)/b"
        #expect(ExecutableLookup.resolve("tool", baseDirectory: root, searchPath: searchPath) == .success("\(root)/a/tool"))
        try FileManager.default.removeItem(atPath: "\(root)/a/tool")
        #expect(ExecutableLookup.resolve("tool", baseDirectory: root, searchPath: searchPath) == .success("\(root)/b/tool"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(root)/b/tool")
        #expect(ExecutableLookup.resolve("tool", baseDirectory: root, searchPath: searchPath) == .failure(.notExecutable(path: "\(root)/b/tool")))
    }
}
