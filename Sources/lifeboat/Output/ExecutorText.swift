import LifeboatCore
import LifeboatStore

/// Says whether a run that the store shows as running (or rolling back) still has a process
/// executing it: the executor lock's holder tells. A run whose process died (crash, `kill -9`,
/// reboot) is "executor gone", and `resume` or `abort` is the way on.
enum ExecutorText {
    /// ` (executor gone)` or ` (executor pid N)` for a running or rolling-back run; empty otherwise.
    static func suffix(_ run: RunRecord, storePath: String) -> String {
        guard run.status == .running || run.status == .rollingBack else { return "" }
        if let pid = ExecutorLock.liveHolder(storePath: storePath, runID: run.id) { return " (executor pid \(pid))" }
        return " (executor gone)"
    }
}
