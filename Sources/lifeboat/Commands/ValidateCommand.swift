import ArgumentParser
import LifeboatCore
import LifeboatStore

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check plans and runbooks; every problem is reported as file:line:col with a fix.",
        discussion: """
            Examples:
              lifeboat validate plans/payment-platform.yaml
              lifeboat validate plans/ runbooks/ --json
            """)

    @Argument(help: "Plan or runbook files, or folders to search for *.yaml / *.yml.")
    var paths: [String]

    @OptionGroup var output: JSONFlag

    func run() async throws {
        let report = Runtime.loader.validate(paths: paths)
        if output.json {
            try JSONOutput.print(report)
        } else {
            for file in report.files {
                if file.ok {
                    Console.out("ok    \(file.path)" + (file.id.map { "  (\(file.kind?.rawValue ?? "document") \($0))" } ?? ""))
                }
                for d in file.diagnostics { Console.err(d.description) }
            }
        }
        let problems = report.files.reduce(0) { $0 + $1.diagnostics.count }
        if problems > 0 {
            if !output.json { Console.err("error: \(problems) problem(s) in \(report.files.filter { !$0.ok }.count) file(s)") }
            throw ExitStatus.invalidInput.exitCode
        }
        if !output.json { Console.out("\(report.files.count) document(s) valid") }
    }
}
