import Foundation
import LifeboatCore
import Testing

@testable import LifeboatStore

/// Read-only and full file systems, on small tmpfs mounts. Skipped where mounting is not allowed.
@Suite struct StoreFailureTests {
    /// A fresh tmpfs of `size` mounted in a temp folder, or nil when this process may not mount.
    func mountTmpfs(size: String) throws -> String? {
        let folder = try temporaryFolder("tmpfs")
        guard try shell("mount", "-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", folder) == 0 else { return nil }
        return folder
    }

    func unmount(_ folder: String) throws {
        try shell("umount", "-l", folder)
    }

    @Test func aReadOnlyStoreFailsWithItsPathAndStaysIntact() async throws {
        guard let folder = try mountTmpfs(size: "8m") else {
            print("skipped: cannot mount tmpfs here")
            return
        }
        defer { try? unmount(folder) }
        let path = folder + "/state.db"
        do {
            let store = try SQLiteStore(path: path)
            try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
            try await store.append(Array(Fixtures.successfulRun("r1").prefix(3)), consumingControls: [])
            try store.close()
        }
        #expect(try shell("mount", "-o", "remount,ro", folder) == 0)

        // Either opening or the first write fails, naming the file.
        var failure: LifeboatError?
        do {
            let store = try SQLiteStore(path: path)
            try await store.append([Fixtures.event("r1", 1_700_000_009_000, .runPaused(reason: .quit))], consumingControls: [])
        } catch let error as LifeboatError {
            failure = error
        }
        let error = try #require(failure)
        #expect(error.code == .storeFailure)
        #expect(error.message == "store \(path) is read-only", "\(error)")

        #expect(try shell("mount", "-o", "remount,rw", folder) == 0)
        let store = try SQLiteStore(path: path)
        #expect(try await store.events(of: "r1").count == 4)
        #expect(try await store.verifyChain().isOK)
        #expect(try await store.verifyProjections().isEmpty)
        #expect(try await store.integrityCheck() == "ok")
    }

    @Test func aFullDiskFailsWithItsPathAndStaysIntact() async throws {
        guard let folder = try mountTmpfs(size: "640k") else {
            print("skipped: cannot mount tmpfs here")
            return
        }
        defer { try? unmount(folder) }
        let path = folder + "/state.db"
        var committed = 0
        do {
            let store = try SQLiteStore(path: path)
            try await store.createRun(id: "r1", created: Fixtures.created("r1"), documents: Fixtures.documents)
            try await store.append([Fixtures.event("r1", 1, .executorStarted(pid: 1, host: "h", resumed: false))],
                                   consumingControls: [])
            committed = 2
            let note = String(repeating: "all hands on deck ", count: 1_500)  // ~27 KB per event
            var failure: LifeboatError?
            for n in 0..<200 {
                do {
                    try await store.append(
                        [Fixtures.event("r1", 10 + Int64(n), .stepNoted(step: "smoke", note: note, by: "t")),
                         Fixtures.event("r1", 10 + Int64(n), .stepStarted(step: "smoke", attempt: n + 1)),
                         Fixtures.event("r1", 10 + Int64(n), .stepFailed(
                            step: "smoke", attempt: n + 1, durationMs: 1,
                            error: StepError(code: .actionFailed, message: "503", retryable: true))),
                         Fixtures.event("r1", 10 + Int64(n), .stepRetryScheduled(step: "smoke", nextAttempt: n + 2, delayMs: 1))],
                        consumingControls: [])
                    committed += 4
                } catch let error as LifeboatError {
                    failure = error
                    break
                }
            }
            let error = try #require(failure, "the tmpfs never filled up")
            #expect(error.code == .storeFailure)
            #expect(error.message == "disk full writing \(path); free space and run `lifeboat resume r1`", "\(error)")

            // Still readable and consistent from the same connection.
            #expect(try await store.events(of: "r1").count == committed)
            #expect(try await store.verifyChain().isOK)
            #expect(try await store.verifyProjections().isEmpty)
            try store.close()
        }
        // Free space, then the store carries on.
        #expect(try shell("mount", "-o", "remount,size=16m", folder) == 0)
        let store = try SQLiteStore(path: path)
        #expect(try await store.events(of: "r1").count == committed)
        #expect(try await store.steps(of: "r1").first { $0.stepID == "smoke" }?.attempts == (committed - 2) / 4)
        try await store.append([Fixtures.event("r1", 9_999, .runPaused(reason: .interrupted))], consumingControls: [])
        #expect(try await store.verifyChain().isOK)
        #expect(try await store.verifyProjections().isEmpty)
        #expect(try await store.integrityCheck() == "ok")
    }
}
