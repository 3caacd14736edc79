import ArgumentParser
import LifeboatCore
import LifeboatStore

struct TabletopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tabletop",
        abstract: "Walk the team through a scenario step by step; nothing is touched, timings are recorded.",
        discussion: """
            For each step Lifeboat shows its title, action, parameters (secrets as placeholders) and
            expected duration, then reads a key: Enter or d = done, s = skip, n TEXT = add a note,
            q = quit (continue later with `lifeboat resume RUN`). Keys can come from a script:

              printf 'd\\nn DNS TTL too long\\nd\\nq\\n' | lifeboat tabletop plans/payment-platform.yaml -s region-failure

            Outputs a later step needs come from the producing step's `tabletop_outputs:`, or show as
            "(output KEY of STEP)". At the end it prints expected against actual times, the notes, and
            the RTO the walk-through implies. With --json the walk-through goes to standard error and
            the result document (as `run --json` prints it, with the notes) to standard output.
            """)

    @Argument(help: "The plan file.") var plan: String
    @Option(name: .shortAndLong, help: "The scenario to walk through.") var scenario: String
    @OptionGroup var params: ParamOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var by: OperatorOption
    @OptionGroup var color: ColorOption
    @OptionGroup var output: JSONFlag

    func run() async throws {
        let loader = Runtime.loader
        let resolved = try loader.resolve(plan: loader.loadPlan(at: plan), scenario: scenario, overrides: params.overrides())
        if output.json { Console.sendTextToStandardError() }
        let status = try await RunStarter.start(
            resolved, mode: .tabletop, concurrency: 1, autoApprove: false, waitForApprovals: true, store: store,
            operatorName: by.resolved, json: output.json)
        throw status.exitCode
    }
}
