import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatPostgres

@main
struct Lifeboat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifeboat",
        abstract: "Disaster-recovery orchestration: validate DR plans, run failovers and drills, audit the history.",
        discussion: """
            Typical use:
              lifeboat validate plans/ runbooks/
              lifeboat plan plans/payment-platform.yaml -s region-failure
              lifeboat run plans/payment-platform.yaml -s region-failure --drill
              lifeboat resume RUN            # after Ctrl-C, a crash or a reboot
              lifeboat history · lifeboat show RUN · lifeboat report RUN -o run.html

            Exit codes:
              0   success
              1   the run failed or was aborted
              2   invalid input (a document, a flag, a parameter); nothing ran
              3   stopped but resumable (interrupted, awaiting approval, unknown step)
              4   refused (lease held, preflight failed, wrong state)
              5   not found
              6   state store failure
              7   status --check: a scheduled DR test is overdue or was never run
              70  internal error
            """,
        version: "0.1.0",
        subcommands: [
            ValidateCommand.self, PlanCommand.self, RunCommand.self, TabletopCommand.self, ResumeCommand.self, StoreCommand.self,
            ApproveCommand.self, PauseCommand.self, AbortCommand.self, ResolveCommand.self, SkipCommand.self,
            RollbackCommand.self,
            HistoryCommand.self, ShowCommand.self, WatchCommand.self, ReportCommand.self, AuditCommand.self, SchemaCommand.self,
            StatusCommand.self, MetricsCommand.self, ServeCommand.self, CompletionsCommand.self, ManualCommand.self,
        ])

    /// Parses, runs, and turns every error into one line on stderr and a documented exit status.
    static func main() async {
        // A closed stdout (`lifeboat run … | head`) must not kill a run halfway: writes just fail.
        signal(SIGPIPE, SIG_IGN)
        let status = await runCommand()
        // No libpq call may be left inside OpenSSL when exit runs its clean-up (see LibPQCalls).
        await LibPQCalls.finish(within: .seconds(3))
        Foundation.exit(status)
    }

    /// The parsed command's exit status; errors are printed here.
    private static func runCommand() async -> Int32 {
        do {
            var command = try parseAsRoot()
            if let chooser = command as? any ColorChoosing {
                ColorChoice.current = chooser.color.choice
            }
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            return ExitStatus.success.rawValue
        } catch let error as LifeboatError {
            Console.err("error: \(error.description)")
            return ExitStatus(for: error.code).rawValue
        } catch let failure as ValidationFailure {
            Console.err(failure.description)
            Console.err("error: \(failure.diagnostics.count) problem(s) found; fix them and run again")
            return ExitStatus.invalidInput.rawValue
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)  // --help, --version
            }
            Console.err(fullMessage(for: error))
            return code == .validationFailure ? ExitStatus.invalidInput.rawValue : ExitStatus.internalError.rawValue
        }
    }
}

extension ExitStatus {
    var exitCode: ExitCode { ExitCode(rawValue) }
}
