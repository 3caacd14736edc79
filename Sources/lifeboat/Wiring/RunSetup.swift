import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatStore

/// Turns documents into what the engine runs: the run header (frozen facts about each step), the
/// documents to pin, and the run inputs (steps, parameters, secrets).
enum RunSetup {
    struct Prepared {
        var header: RunHeader
        var documents: [DocumentSource]
        var inputs: RunInputs
    }

    static func prepare(
        _ resolved: ResolvedScenario, runID: String, mode: RunMode, startedBy: String, concurrency: Int,
        approvedByFlag: Bool
    ) throws -> Prepared {
        // Pinned with absolute paths, so that resume from another folder finds relative commands.
        let documents = [resolved.plan.source, resolved.runbook.source].map { source -> DocumentSource in
            var pinned = source
            pinned.path = absolute(source.path)
            return pinned
        }
        let header = self.header(
            resolved, mode: mode, startedBy: startedBy, concurrency: concurrency, approvedByFlag: approvedByFlag,
            documentsHash: SQLiteStore.documentsHash(documents))
        let inputs = try self.inputs(
            runID: runID, plan: resolved.plan, runbook: resolved.runbook, header: header)
        return Prepared(header: header, documents: documents, inputs: inputs)
    }

    static func header(
        _ resolved: ResolvedScenario, mode: RunMode, startedBy: String, concurrency: Int, approvedByFlag: Bool,
        documentsHash: String
    ) -> RunHeader {
        let runbook = resolved.runbook
        let order = StepGraph(steps: runbook.steps).topologicalOrder
        let steps = order.compactMap { runbook.step($0) }.map { step -> StepHeader in
            let spec = Runtime.actions.spec(step.action)
            return StepHeader(
                id: step.id, title: step.displayTitle, action: step.action, needs: step.needs,
                idempotent: mode == .tabletop ? true : (step.idempotent ?? spec?.idempotent ?? false),
                hasVerify: mode == .tabletop ? false : (spec?.hasVerify ?? false),
                retry: step.retry ?? .none, timeoutMs: step.timeout?.milliseconds, expectMs: step.expect?.milliseconds,
                applies: step.when.applies(to: mode), hasCompensation: step.rollback != nil,
                compensationIdempotent: step.rollback.map { Runtime.actions.spec($0.action)?.idempotent ?? false },
                definition: definition(of: step))
        }
        return RunHeader(
            planID: resolved.plan.id, scenario: resolved.scenario.name, runbookID: runbook.id, mode: mode,
            params: resolved.params, objectives: resolved.objectives, rtoWindow: runbook.rtoWindow,
            startedBy: startedBy, documentsHash: documentsHash, steps: steps, concurrency: concurrency,
            approvedByFlag: approvedByFlag)
    }

    /// What a step does (action, `with:`, rollback) as canonical text, for `resume --reload`.
    static func definition(of step: Step) -> String {
        struct Definition: Encodable {
            var action: String
            var with: [String: Value]
            var rollbackAction: String?
            var rollbackWith: [String: Value]?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let definition = Definition(
            action: step.action, with: step.with, rollbackAction: step.rollback?.action, rollbackWith: step.rollback?.with)
        return (try? encoder.encode(definition)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// `resume --reload`: today's versions of the documents a run pinned last (read from the paths
    /// it pinned them from), resolved for its scenario with `overrides`.
    static func reloaded(
        runID: String, header: RunHeader, store: any StateStore, overrides: [String: String]
    ) async throws -> Prepared {
        let pinned = try await store.documents(of: runID)
        guard let planPath = pinned.last(where: { $0.source.kind == .plan })?.source.path else {
            throw LifeboatError(.storeFailure, "run \(runID) has no pinned plan in the store")
        }
        let loader = Runtime.loader
        let resolved = try loader.resolve(plan: loader.loadPlan(at: planPath), scenario: header.scenario, overrides: overrides)
        return try prepare(
            resolved, runID: runID, mode: header.mode, startedBy: header.startedBy, concurrency: header.concurrency,
            approvedByFlag: header.approvedByFlag)
    }

    /// Lines saying how `new` differs from `old`, step by step.
    static func changes(from old: RunHeader, to new: RunHeader) -> [String] {
        let before = Dictionary(old.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Set(new.steps.map(\.id))
        var lines: [String] = []
        for step in new.steps {
            guard let was = before[step.id] else {
                lines.append("+ \(step.id): added (\(step.action))")
                continue
            }
            var what: [String] = []
            if was.action != step.action { what.append("action \(was.action) → \(step.action)") }
            else if was.definition != step.definition { what.append("parameters") }
            if was.needs != step.needs { what.append("needs [\(was.needs.joined(separator: ", "))] → [\(step.needs.joined(separator: ", "))]") }
            if was.retry != step.retry || was.timeoutMs != step.timeoutMs { what.append("retry or timeout") }
            if !what.isEmpty { lines.append("~ \(step.id): " + what.joined(separator: "; ")) }
        }
        for step in old.steps where !after.contains(step.id) { lines.append("- \(step.id): removed") }
        return lines
    }

    /// Run inputs. Secrets are read now (never stored); a tabletop shows placeholders instead.
    /// Relative paths resolve against the folder of the document they are written in: a secret's
    /// `file:` against the plan's, a step's (argv, cwd, kubeconfig, …) against the runbook's.
    static func inputs(runID: String, plan: Plan, runbook: Runbook, header: RunHeader) throws -> RunInputs {
        let planDirectory = folder(of: plan.source)
        let secrets: [String: String]
        if header.mode == .tabletop {
            secrets = Dictionary(uniqueKeysWithValues: plan.secrets.keys.map { ($0, "<secret:\($0)>") })
        } else {
            // Only the secrets this runbook uses: a scenario need not have every secret of the plan.
            let used = referencedSecrets(runbook)
            secrets = try SecretResolver(baseDirectory: planDirectory).resolve(plan.secrets.filter { used.contains($0.key) })
        }
        let run: [String: Value] = [
            "id": .string(runID), "mode": .string(header.mode.rawValue), "plan": .string(plan.id),
            "scenario": .string(header.scenario),
        ]
        let steps = Dictionary(runbook.steps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return RunInputs(
            steps: steps,
            render: RenderContext(params: header.params, vars: plan.vars, secrets: secrets, run: run),
            masker: header.mode == .tabletop ? .none : SecretResolver.masker(for: secrets),
            baseDirectory: folder(of: runbook.source))
    }

    private static func folder(of document: DocumentSource) -> String {
        (absolute(document.path) as NSString).deletingLastPathComponent
    }

    /// Names of the secrets a runbook's steps and rollbacks reference.
    static func referencedSecrets(_ runbook: Runbook) -> Set<String> {
        var names = Set<String>()
        for step in runbook.steps {
            for value in [Value.map(step.with), .map(step.rollback?.with ?? [:])] {
                for case .success(let reference) in Template.references(in: value) where reference.scope == .secrets {
                    names.insert(reference.path[0])
                }
            }
        }
        return names
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }

    /// Inputs for resuming or rolling back a run, from the documents it pinned (not today's files).
    static func inputs(resuming runID: String, header: RunHeader, store: any StateStore) async throws -> RunInputs {
        let pinned = try await store.documents(of: runID)
        // The last pinned pair: `resume --reload` pins corrected documents after the first ones.
        guard let planDoc = pinned.last(where: { $0.source.kind == .plan })?.source,
              let runbookDoc = pinned.last(where: { $0.source.kind == .runbook })?.source
        else {
            throw LifeboatError(.storeFailure, "run \(runID) has no pinned plan or runbook in the store")
        }
        let loader = Runtime.loader
        let plan = try loader.loadPinnedPlan(planDoc)
        let runbook = try loader.loadPinnedRunbook(runbookDoc)
        return try inputs(runID: runID, plan: plan, runbook: runbook, header: header)
    }
}
