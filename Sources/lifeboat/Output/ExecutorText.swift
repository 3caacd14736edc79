import LifeboatCore

/// Says whether a run that the store shows as running (or rolling back) still has a process
/// executing it: the executor lock's holder tells. A run whose process died (crash, `kill -9`,
/// reboot) is "executor gone", and `resume` or `abort` is the way on.
enum ExecutorText {
    /// ` (executor gone)` or ` (executor pid N)` (on the team store ` (executor HOST pid N)`) for a
    /// running or rolling-back run; empty otherwise.
    static func suffix(_ run: RunRecord, store: any CommandStore) async -> String {
        guard run.status == .running || run.status == .rollingBack else { return "" }
        if let holder = await store.executor(of: run.id) { return " (executor \(holder))" }
        return " (executor gone)"
    }
}
