import ArgumentParser
import LifeboatCore
import LifeboatStore

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check plans and runbooks; every problem is reported as file:line:col with a fix.",
        discussion: """
            Errors exit 2. Warnings (a step expected to take longer than its timeout) are printed
            but pass, unless --strict makes them errors.

            Examples:
              lifeboat validate plans/payment-platform.yaml
              lifeboat validate plans/ runbooks/ --json
              lifeboat validate plans/ runbooks/ --strict      # in CI
            """)

    @Argument(help: "Plan or runbook files, or folders to search for *.yaml / *.yml.")
    var paths: [String]

    @Flag(help: "Treat warnings as errors (exit 2).") var strict = false

    @OptionGroup var output: JSONFlag
    @OptionGroup var color: ColorOption

    func run() async throws {
        let report = Runtime.loader.validate(paths: paths, strict: strict)
        let all = report.diagnostics
        let errors = all.filter { $0.severity == .error }.count
        if output.json {
            try JSONOutput.print(report)
        } else {
            let (out, err) = (Style.stdout, Style.stderr)
            for file in report.files {
                if file.ok {
                    let what = file.id.map { "  (\(file.kind?.rawValue ?? "document") \($0))" } ?? ""
                    Console.out(out.paint("ok", .green) + "    \(file.path)" + what)
                }
                for d in file.diagnostics {
                    Console.err(d.line(label: err.paint(d.severity.rawValue, d.severity == .error ? .red : .yellow)))
                }
            }
        }
        if errors > 0 {
            if !output.json { Console.err("error: \(errors) problem(s) in \(report.files.filter { !$0.ok }.count) file(s)") }
            throw ExitStatus.invalidInput.exitCode
        }
        if !output.json {
            let warnings = all.count - errors
            Console.out("\(report.files.count) document(s) valid"
                        + (warnings > 0 ? ", \(warnings) warning(s) (--strict makes them errors)" : ""))
        }
    }
}
