import ArgumentParser
import LifeboatCore
import LifeboatReports

/// `--mode` takes the modes' names, and `real` for `execute` (runbooks say `when: real`).
extension RunMode: ExpressibleByArgument {
    public init?(argument: String) {
        if argument == "real" {
            self = .execute
        } else {
            self.init(rawValue: argument)
        }
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) + ["real"] }
}

extension RunStatus: ExpressibleByArgument {}

/// `history --report`: the range report's format.
enum HistoryReportFormat: String, ExpressibleByArgument, CaseIterable {
    case html, md
}
