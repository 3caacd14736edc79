import Foundation
import LifeboatCore
import Testing

/// One bad document and the diagnostic it must produce.
struct BadCase: Sendable, CustomTestStringConvertible {
    /// The fixture validated, relative to Fixtures/invalid.
    var file: String
    /// Where the diagnostic points: `file:line:column`, the file relative to Fixtures/invalid.
    var at: String
    var fragment: String
    /// A fragment of the fix hint, when the hint matters (did-you-mean).
    var hint: String? = nil

    var testDescription: String { "\(file) → \(at) \(fragment)" }
}

@Suite("Validation of bad documents")
struct DocumentsValidationTests {
    static let runbookCases: [BadCase] = [
        BadCase(file: "runbooks/unknown-top-key.yaml", at: "runbooks/unknown-top-key.yaml:2:1",
                fragment: "unknown key 'descripton' in the runbook", hint: "did you mean 'description'?"),
        BadCase(file: "runbooks/unknown-step-key.yaml", at: "runbooks/unknown-step-key.yaml:6:5",
                fragment: "unknown key 'timout' in step 'a'", hint: "did you mean 'timeout'?"),
        BadCase(file: "runbooks/unknown-retry-key.yaml", at: "runbooks/unknown-retry-key.yaml:6:26",
                fragment: "unknown key 'max_dealy' in the retry of step 'a'", hint: "did you mean 'max_delay'?"),
        BadCase(file: "runbooks/unknown-rollback-key.yaml", at: "runbooks/unknown-rollback-key.yaml:6:30",
                fragment: "unknown key 'wiht' in the rollback of step 'a'", hint: "did you mean 'with'?"),
        BadCase(file: "runbooks/unknown-param-key.yaml", at: "runbooks/unknown-param-key.yaml:3:26",
                fragment: "unknown key 'defualt' in param 'region'", hint: "did you mean 'default'?"),
        BadCase(file: "runbooks/unknown-rto-window-key.yaml", at: "runbooks/unknown-rto-window-key.yaml:2:24",
                fragment: "unknown key 'stop' in rto_window", hint: "start, end"),
        BadCase(file: "runbooks/unknown-rto-window-key.yaml", at: "runbooks/unknown-rto-window-key.yaml:2:13",
                fragment: "rto_window has no 'end'"),
        BadCase(file: "runbooks/wrong-type-title.yaml", at: "runbooks/wrong-type-title.yaml:4:12",
                fragment: "'title' in step 'a' must be a string, not a list"),
        BadCase(file: "runbooks/steps-not-a-list.yaml", at: "runbooks/steps-not-a-list.yaml:3:3",
                fragment: "'steps' must be a list, not a mapping"),
        BadCase(file: "runbooks/unknown-action.yaml", at: "runbooks/unknown-action.yaml:4:13",
                fragment: "unknown action 'http.chek' in step 'check'", hint: "did you mean 'http.check'?"),
        BadCase(file: "runbooks/missing-required-parameter.yaml", at: "runbooks/missing-required-parameter.yaml:5:5",
                fragment: "step 'check' is missing required parameter 'url' of action 'http.check'"),
        BadCase(file: "runbooks/unknown-parameter.yaml", at: "runbooks/unknown-parameter.yaml:5:12",
                fragment: "action 'command' has no parameter 'arg'", hint: "did you mean 'argv'?"),
        BadCase(file: "runbooks/wrong-parameter-kind.yaml", at: "runbooks/wrong-parameter-kind.yaml:6:13",
                fragment: "parameter 'argv' of step 'run' must be a list, not 'ls -l'"),
        BadCase(file: "runbooks/wrong-parameter-kind.yaml", at: "runbooks/wrong-parameter-kind.yaml:10:15",
                fragment: "parameter 'prompt' of step 'ask' must be a single value, not a list"),
        BadCase(file: "runbooks/bad-parameter-duration.yaml", at: "runbooks/bad-parameter-duration.yaml:5:22",
                fragment: "parameter 'duration' of step 'a' must be a duration"),
        BadCase(file: "runbooks/missing-step-id.yaml", at: "runbooks/missing-step-id.yaml:3:5",
                fragment: "step #1 has no 'id'"),
        BadCase(file: "runbooks/duplicate-step-id.yaml", at: "runbooks/duplicate-step-id.yaml:9:5",
                fragment: "duplicate step id 'same' (first defined at line 3)"),
        BadCase(file: "runbooks/bad-step-id.yaml", at: "runbooks/bad-step-id.yaml:3:9",
                fragment: "step id 'fail over' may only contain letters, digits, '_' and '-'", hint: "fail-over"),
        BadCase(file: "runbooks/unknown-needs.yaml", at: "runbooks/unknown-needs.yaml:8:13",
                fragment: "step 'smoke' needs 'promte', which is not a step", hint: "did you mean 'promote'?"),
        BadCase(file: "runbooks/needs-not-a-list.yaml", at: "runbooks/needs-not-a-list.yaml:8:12",
                fragment: "'needs' of step 'b' must be a list, not a string", hint: "needs: [a]"),
        BadCase(file: "runbooks/cycle.yaml", at: "runbooks/cycle.yaml:5:13",
                fragment: "dependency cycle: a → c → b → a"),
        BadCase(file: "runbooks/bad-param-type.yaml", at: "runbooks/bad-param-type.yaml:3:20",
                fragment: "'integer' is not a valid type for param 'replicas'", hint: "did you mean 'int'?"),
        BadCase(file: "runbooks/bad-param-default.yaml", at: "runbooks/bad-param-default.yaml:3:36",
                fragment: "the default of param 'grace' must be a duration"),
        BadCase(file: "runbooks/bad-param-default.yaml", at: "runbooks/bad-param-default.yaml:4:34",
                fragment: "the default of param 'max_lag' must be a size such as 16MB or 4096, not '16XB'"),
        BadCase(file: "runbooks/bad-param-default.yaml", at: "runbooks/bad-param-default.yaml:5:34",
                fragment: "the default of param 'enabled' must be true or false, not 'yes'"),
        BadCase(file: "runbooks/bad-param-default.yaml", at: "runbooks/bad-param-default.yaml:6:32",
                fragment: "the default of param 'hosts' must be a list"),
        BadCase(file: "runbooks/bad-durations.yaml", at: "runbooks/bad-durations.yaml:6:14",
                fragment: "'timeout' in step 'a' is not a duration: '5 minutes'"),
        BadCase(file: "runbooks/bad-durations.yaml", at: "runbooks/bad-durations.yaml:7:13",
                fragment: "'expect' in step 'a' is not a duration: '30'"),
        BadCase(file: "runbooks/bad-durations.yaml", at: "runbooks/bad-durations.yaml:8:33",
                fragment: "'delay' in the retry of step 'a' is not a duration: 'fast'"),
        BadCase(file: "runbooks/bad-durations.yaml", at: "runbooks/bad-durations.yaml:8:50",
                fragment: "'max_delay' in the retry of step 'a' is not a duration: '1x'"),
        BadCase(file: "runbooks/unknown-param-reference.yaml", at: "runbooks/unknown-param-reference.yaml:7:20",
                fragment: "${params.regoin} cannot be resolved: runbook 'refs' declares no param 'regoin'",
                hint: "did you mean 'region'?"),
        BadCase(file: "runbooks/step-output-references.yaml", at: "runbooks/step-output-references.yaml:8:25",
                fragment: "step 'second' does not depend on 'first'", hint: "add 'first' to the needs of 'second'"),
        BadCase(file: "runbooks/step-output-references.yaml", at: "runbooks/step-output-references.yaml:12:25",
                fragment: "${steps.frist.outputs.x} cannot be resolved: there is no step 'frist'",
                hint: "did you mean 'first'?"),
        BadCase(file: "runbooks/unknown-run-field.yaml", at: "runbooks/unknown-run-field.yaml:5:25",
                fragment: "${run.name} cannot be resolved: a run has no field 'name'", hint: "id, mode, plan, scenario"),
        BadCase(file: "runbooks/template-syntax.yaml", at: "runbooks/template-syntax.yaml:8:20",
                fragment: "invalid reference at with.argv.1: unclosed '${'"),
        BadCase(file: "runbooks/bad-when.yaml", at: "runbooks/bad-when.yaml:6:11",
                fragment: "'sometimes' is not a valid 'when' for step 'a'", hint: "always, drill, real"),
        BadCase(file: "runbooks/bad-rto-window.yaml", at: "runbooks/bad-rto-window.yaml:2:35",
                fragment: "rto_window end 'smoke' is not a step of this runbook"),
        BadCase(file: "runbooks/bad-retry.yaml", at: "runbooks/bad-retry.yaml:6:23",
                fragment: "'attempts' in the retry of step 'a' must be at least 1, not 0"),
        BadCase(file: "runbooks/bad-retry.yaml", at: "runbooks/bad-retry.yaml:6:34",
                fragment: "'half' is not a valid 'jitter'", hint: "full, none"),
        BadCase(file: "runbooks/bad-idempotent.yaml", at: "runbooks/bad-idempotent.yaml:6:17",
                fragment: "'idempotent' in step 'a' must be true or false, not a string"),
        BadCase(file: "runbooks/bad-rollback.yaml", at: "runbooks/bad-rollback.yaml:6:5",
                fragment: "the rollback of step 'a' has no 'action'"),
        BadCase(file: "runbooks/bad-rollback.yaml", at: "runbooks/bad-rollback.yaml:10:24",
                fragment: "unknown action 'undo' in the rollback of step 'b'"),
        BadCase(file: "runbooks/yaml-syntax.yaml", at: "runbooks/yaml-syntax.yaml:5:11",
                fragment: "invalid YAML: a flow mapping starts here and is never closed", hint: "close it with '}'"),
        BadCase(file: "runbooks/unterminated-quote.yaml", at: "runbooks/unterminated-quote.yaml:4:12",
                fragment: "invalid YAML: this quoted string is never closed (the file ends at 9:1)",
                hint: "closing quote"),
        BadCase(file: "runbooks/tab-indent.yaml", at: "runbooks/tab-indent.yaml:3:1",
                fragment: "a tab character at 3:1; YAML indents with spaces", hint: "spaces"),
        BadCase(file: "runbooks/rto-window-out-of-order.yaml", at: "runbooks/rto-window-out-of-order.yaml:2:33",
                fragment: "rto_window ends at 'declare', which runs before its start 'smoke'",
                hint: "rto_window: {start: declare, end: smoke}"),
        BadCase(file: "runbooks/rto-window-unordered.yaml", at: "runbooks/rto-window-unordered.yaml:2:29",
                fragment: "rto_window end 'b' does not depend on its start 'a'", hint: "add 'a' to the needs of 'b'"),
        BadCase(file: "runbooks/not-a-document.yaml", at: "runbooks/not-a-document.yaml:1:1",
                fragment: "no top-level 'plan:' or 'runbook:' key"),
        BadCase(file: "runbooks/kind-typo.yaml", at: "runbooks/kind-typo.yaml:1:1",
                fragment: "unknown key 'runbok'", hint: "did you mean 'runbook'?"),
    ]

    static let planCases: [BadCase] = [
        BadCase(file: "plans/unknown-plan-key.yaml", at: "plans/unknown-plan-key.yaml:2:1",
                fragment: "unknown key 'ownr' in the plan", hint: "did you mean 'owner'?"),
        BadCase(file: "plans/unknown-scenario-key.yaml", at: "plans/unknown-scenario-key.yaml:6:5",
                fragment: "unknown key 'runbok' in scenario 'one'", hint: "did you mean 'runbook'?"),
        BadCase(file: "plans/unknown-scenario-key.yaml", at: "plans/unknown-scenario-key.yaml:5:3",
                fragment: "scenario 'one' has no 'runbook'"),
        BadCase(file: "plans/bad-tier.yaml", at: "plans/bad-tier.yaml:2:7", fragment: "tier 4 does not exist"),
        BadCase(file: "plans/bad-schedule.yaml", at: "plans/bad-schedule.yaml:3:3",
                fragment: "unknown key 'tabletops' in schedule", hint: "did you mean 'tabletop'?"),
        BadCase(file: "plans/bad-schedule.yaml", at: "plans/bad-schedule.yaml:4:13",
                fragment: "'yearly' is not a valid frequency for failover", hint: "semiannual, annual"),
        BadCase(file: "plans/bad-schedule-scenarios.yaml", at: "plans/bad-schedule-scenarios.yaml:3:50",
                fragment: "schedule.failover names scenario 'tow', which the plan does not have"),
        BadCase(file: "plans/bad-schedule-scenarios.yaml", at: "plans/bad-schedule-scenarios.yaml:4:9",
                fragment: "schedule.full has no 'every'", hint: "every: semiannual"),
        BadCase(file: "plans/bad-secrets.yaml", at: "plans/bad-secrets.yaml:4:10",
                fragment: "unknown key 'vault' in secret 'tsig'", hint: "env, file"),
        BadCase(file: "plans/bad-secrets.yaml", at: "plans/bad-secrets.yaml:4:9",
                fragment: "secret 'tsig' must be {env: NAME} or {file: PATH}"),
        BadCase(file: "plans/bad-secrets.yaml", at: "plans/bad-secrets.yaml:5:3",
                fragment: "secret 'both' has both 'env' and 'file'"),
        BadCase(file: "plans/bad-secrets.yaml", at: "plans/bad-secrets.yaml:6:10",
                fragment: "secret 'plain' must be a mapping, not a string"),
        BadCase(file: "plans/bad-objectives.yaml", at: "plans/bad-objectives.yaml:2:19",
                fragment: "'rto' in the plan's objectives is not a duration: 'one hour'"),
        BadCase(file: "plans/bad-objectives.yaml", at: "plans/bad-objectives.yaml:2:29",
                fragment: "unknown key 'rpx' in the plan's objectives", hint: "did you mean 'rpo'?"),
        BadCase(file: "plans/bad-objectives.yaml", at: "plans/bad-objectives.yaml:9:23",
                fragment: "'rpo' in the objectives of scenario 'one' is not a duration: '5'"),
        BadCase(file: "plans/missing-runbook.yaml", at: "plans/missing-runbook.yaml:5:18",
                fragment: "runbook 'runbooks/does-not-exist.yaml' of scenario 'one' does not exist"),
        BadCase(file: "plans/scenario-params.yaml", at: "plans/scenario-params.yaml:7:24",
                fragment: "scenario 'typo' sets 'replicsa', but runbook 'uses-plan' has no such param",
                hint: "did you mean 'replicas'?"),
        BadCase(file: "plans/scenario-params.yaml", at: "plans/scenario-params.yaml:10:34",
                fragment: "param 'replicas' of scenario 'wrong-type' must be an integer, not 'three'"),
        BadCase(file: "plans/scenario-params.yaml", at: "plans/scenario-params.yaml:10:48",
                fragment: "param 'grace' of scenario 'wrong-type' must be a duration"),
        BadCase(file: "plans/scenario-params.yaml", at: "plans/scenario-params.yaml:11:3",
                fragment: "scenario 'missing' does not set required param 'region' of runbook 'uses-plan'",
                hint: "-p region=VALUE"),
        BadCase(file: "plans/missing-vars-secrets.yaml", at: "plans/runbooks/uses-plan.yaml:10:24",
                fragment: "${vars.dns_server} cannot be resolved: plan 'context' has no var 'dns_server'",
                hint: "did you mean 'dns_servr'?"),
        BadCase(file: "plans/missing-vars-secrets.yaml", at: "plans/runbooks/uses-plan.yaml:11:19",
                fragment: "${secrets.tsig} cannot be resolved: plan 'context' declares no secret 'tsig'"),
        BadCase(file: "plans/scenario-references.yaml", at: "plans/scenario-references.yaml:5:58",
                fragment: "${vars.regon} cannot be resolved", hint: "did you mean 'region'?"),
        BadCase(file: "plans/scenario-references.yaml", at: "plans/scenario-references.yaml:5:85",
                fragment: "${params.x} cannot be resolved: a scenario's with: can only use"),
    ]

    @Test("A bad document is reported at file:line:col", arguments: runbookCases + planCases)
    func reportsProblemAtItsLocation(_ bad: BadCase) throws {
        let invalid = FixturePaths.fixture("invalid")
        let report = TestActions.loader.validate(paths: [invalid + "/" + bad.file])
        #expect(!report.ok)
        let match = report.diagnostics.first {
            $0.location.description == invalid + "/" + bad.at && $0.message.contains(bad.fragment)
        }
        let found = report.diagnostics.map { $0.description.replacingOccurrences(of: invalid + "/", with: "") }
        let diagnostic = try #require(match, "not found among:\n\(found.joined(separator: "\n"))")
        if let hint = bad.hint { #expect(diagnostic.hint?.contains(hint) == true, "hint: \(diagnostic.hint ?? "none")") }
        #expect(diagnostic.hint?.isEmpty == false, "every diagnostic has a fix hint")
    }

    @Test("Every diagnostic of every bad fixture has a location in a real file and a hint")
    func everyDiagnosticIsActionable() {
        let report = TestActions.loader.validate(paths: [FixturePaths.fixture("invalid")])
        #expect(!report.ok)
        for diagnostic in report.diagnostics {
            #expect(diagnostic.location.line >= 1 && diagnostic.location.column >= 1)
            #expect(FileManager.default.fileExists(atPath: diagnostic.location.file), "\(diagnostic)")
            #expect(diagnostic.hint?.isEmpty == false, "\(diagnostic)")
        }
    }

    @Test("All problems of a document are collected, not just the first")
    func collectsEveryProblem() {
        let report = TestActions.loader.validate(paths: [FixturePaths.fixture("invalid/runbooks/bad-durations.yaml")])
        #expect(report.diagnostics.count == 4)
        #expect(report.diagnostics.map(\.location.line) == [6, 7, 8, 8])
    }

    @Test("A cycle is reported once, and steps after it are not")
    func cycleReportedOnce() {
        let report = TestActions.loader.validate(paths: [FixturePaths.fixture("invalid/runbooks/cycle.yaml")])
        #expect(report.diagnostics.count == 1)
    }

    @Test("Valid fixtures have no diagnostics", arguments: [
        "valid/runbooks/basic.yaml", "valid/runbooks/templates-anywhere.yaml", "valid/plans/basic.yaml",
    ])
    func validFixturesPass(_ file: String) {
        let report = TestActions.loader.validate(paths: [FixturePaths.fixture(file)])
        for d in report.diagnostics { Issue.record("\(d)") }
        #expect(report.ok)
    }

    @Test func expectOverTimeoutIsAWarningThatStrictMakesAnError() throws {
        let path = NSTemporaryDirectory() + "lifeboat-expect-\(UUID().uuidString).yaml"
        try "runbook: slow\nsteps:\n  - id: a\n    action: wait\n    with: {duration: 1s}\n    expect: 10m\n    timeout: 1s\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = TestActions.loader.validate(paths: [path])
        #expect(report.ok)
        let warning = try #require(report.diagnostics.first)
        #expect(report.diagnostics.count == 1)
        #expect(warning.severity == .warning)
        #expect(warning.description.hasPrefix(path + ":6:5: warning: step 'a' expects 10m"), "\(warning)")
        #expect(warning.hint?.contains("raise timeout: to at least 10m00s") == true)
        #expect(try TestActions.loader.loadRunbook(at: path).steps.count == 1)  // a run is not stopped by it
        let strict = TestActions.loader.validate(paths: [path], strict: true)
        #expect(!strict.ok)
        #expect(strict.diagnostics.map(\.severity) == [.error])
    }

    @Test func aPinnedRunbookWithAnRTOWindowOutOfOrderStillLoadsForResume() throws {
        let path = FixturePaths.fixture("invalid/runbooks/rto-window-out-of-order.yaml")
        #expect(throws: ValidationFailure.self) { try TestActions.loader.loadRunbook(at: path) }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let pinned = try TestActions.loader.loadPinnedRunbook(DocumentSource(kind: .runbook, path: path, text: text))
        #expect(pinned.rtoWindow?.end == "declare")
    }

    @Test func loadRunbookThrowsEveryDiagnostic() {
        let path = FixturePaths.fixture("invalid/runbooks/bad-param-default.yaml")
        #expect {
            _ = try TestActions.loader.loadRunbook(at: path)
        } throws: { error in
            (error as? ValidationFailure)?.diagnostics.count == 4
        }
    }

    @Test func loadingAPlanAsARunbookIsAnError() {
        let path = FixturePaths.fixture("valid/plans/basic.yaml")
        #expect {
            _ = try TestActions.loader.loadRunbook(at: path)
        } throws: { error in
            (error as? ValidationFailure)?.description.contains("is a plan, not a runbook") == true
        }
    }

    @Test func missingFileIsADiagnostic() {
        let report = TestActions.loader.validate(paths: ["/nonexistent/plan.yaml"])
        #expect(report.files.count == 1)
        #expect(report.files[0].kind == nil)
        #expect(report.diagnostics.first?.description.hasPrefix("/nonexistent/plan.yaml:1:1: error: no such file") == true)
    }

    @Test func unknownParameterIsAllowedWhenTheActionIsNotStrict() throws {
        var loose = TestActions.specs
        loose.append(ActionSpec(name: "custom", summary: "anything", parameters: [], idempotent: false,
                                hasVerify: false, strictParameters: false))
        let path = NSTemporaryDirectory() + "lifeboat-loose-\(UUID().uuidString).yaml"
        try "runbook: loose\nsteps:\n  - id: a\n    action: custom\n    with: {whatever: 1}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(DocumentLoader(actions: loose).validate(paths: [path]).ok)
    }
}
