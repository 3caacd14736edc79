import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatPostgres
import LifeboatPostgresHarness
import LifeboatTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PostgresRestoreSuites {
    /// kill -9 of the real `lifeboat` binary while a `postgres.restore` step runs, then `resume`:
    /// verify either finds the finished restore (done) or detects the half-done one (unknown), which
    /// the test clears as an operator would (wipe the data dir, `resolve --as retry`, `resume`).
    @Suite("postgres.restore: kill -9 of the CLI, then resume", .serialized)
    struct RestoreCrashTests {
        /// Whether a tar, cp or pg_ctl started for `dataDir` is still running (orphans of the killed CLI).
        static func helpersRunning(_ dataDir: String) -> Bool {
            let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap(Int32.init) ?? []
            return pids.contains { pid in
                let comm = ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                guard ["tar", "cp", "pg_ctl", "setpriv"].contains(comm),
                    let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
                else { return false }
                return String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(dataDir)
            }
        }

        /// `copy`: killed as soon as the data dir is written (a half-done restore, resolved by a person);
        /// `replay`: killed once the server was started (verify waits for it and finds the restore done).
        @Test(arguments: ["copy", "replay"])
        func killNineDuringARestoreThenResumeFinishesWithTheRightRows(phase: String) async throws {
            guard FileManager.default.isExecutableFile(atPath: LifeboatCLI.binary) else {
                Issue.record("\(LifeboatCLI.binary) is missing: run swift build first")
                return
            }
            let material = try await PITRMaterial.shared()
            let binDir = material.cluster.binDir
            let shell = try LifeboatCLI()
            let dataDir = material.cluster.baseDir + "/" + uniqueName("crash")
            let port = PostgresCommands.freePort()
            try shell.write("plans/p.yaml", """
                plan: restore-plan
                owner: sre
                tier: 2
                scenarios:
                  corruption:
                    runbook: ../runbooks/r.yaml

                """)
            try shell.write("runbooks/r.yaml", """
                runbook: restore-runbook
                steps:
                  - id: restore
                    action: postgres.restore
                    with:
                      base_backup: \(material.backupDir)
                      wal_archive: \(material.cluster.archiveDir)
                      target: {time: "\(material.batches[1].after)"}
                      data_dir: \(dataDir)
                      port: \(port)
                      bin_dir: \(binDir)
                      conninfo: "host=127.0.0.1 port=\(port) dbname=app user=postgres"
                      verify_sql: SELECT count(*) FROM pitr
                      verify_expect: "13"
                      timeout: 3m

                """)

            do {
                // Kill as soon as the restore has started writing the data dir.
                let (process, _, _) = try shell.start(["run", "plans/p.yaml", "-s", "corruption"])
                let deadline = Date().addingTimeInterval(120)
                func reached() -> Bool {
                    phase == "copy"
                        ? !ServerState.isAbsentOrEmpty(dataDir) : FileManager.default.fileExists(atPath: dataDir + "/postmaster.pid")
                }
                while process.isRunning, !reached(), Date() < deadline {
                    usleep(2_000)
                }
                #expect(process.isRunning, "the run ended before it could be killed")
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                // The killed CLI's children (tar, pg_ctl) finish on their own; let them.
                let quiet = try await eventually(seconds: 60) { !Self.helpersRunning(dataDir) }
                #expect(quiet)

                let history = try shell.run("history", "--json")
                let entries = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
                let runID = try #require((entries.first?["run"] as? [String: Any])?["id"] as? String)

                var finished = false
                var sawUnknown = false
                for _ in 0..<4 where !finished {
                    let resumed = try shell.run("resume", runID)
                    if resumed.status == 0 { finished = true; break }
                    let show = try shell.run("show", runID, "--json")
                    let detail = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
                    let steps = try #require(detail["steps"] as? [[String: Any]])
                    guard steps.contains(where: { $0["stepID"] as? String == "restore" && $0["status"] as? String == "unknown" }) else {
                        Issue.record("resume exited \(resumed.status) without an unknown step: \(show.stdout)")
                        break
                    }
                    // The operator's part, as verify's message says: stop, wipe, resolve --as retry.
                    sawUnknown = true
                    await Restorer.stopServer(dataDir, binDir: binDir)
                    for entry in (try? FileManager.default.contentsOfDirectory(atPath: dataDir)) ?? [] {
                        try FileManager.default.removeItem(atPath: dataDir + "/" + entry)
                    }
                    #expect(try shell.run("resolve", runID, "restore", "--as", "retry", "--reason", "emptied the data dir").status == 0)
                }
                #expect(finished)
                print("restore crash test (\(phase)): half-done restore detected: \(sawUnknown)")
                if phase == "replay" { #expect(!sawUnknown, "a started server is waited for, not left to a person") }
                let rows = try await Restorer.rows(port: port)
                #expect(rows == "1,2,3," + material.ids(batches: 2))
                #expect(try shell.run("show", runID).stdout.contains("status succeeded"))
                await Restorer.stopServer(dataDir, binDir: binDir)
            } catch {
                await Restorer.stopServer(dataDir, binDir: binDir)
                throw error
            }
        }
    }
}
