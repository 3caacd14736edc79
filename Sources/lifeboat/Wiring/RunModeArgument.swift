import LifeboatCore

extension RunMode {
    /// What `--mode` accepts: the modes' names, and `real` for `execute` (runbooks say `when: real`).
    init?(argument: String) {
        if argument == "real" {
            self = .execute
        } else {
            self.init(rawValue: argument)
        }
    }

    static var argumentNames: [String] { allCases.map(\.rawValue) + ["real"] }
}
