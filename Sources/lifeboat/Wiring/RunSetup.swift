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
        RunPlanner(actions: Runtime.actions).header(
            resolved, mode: mode, startedBy: startedBy, concurrency: concurrency, approvedByFlag: approvedByFlag,
            documentsHash: documentsHash)
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
            let used = RunPlanner.referencedSecrets(runbook)
                .union(RunPlanner.referencedSecrets(in: plan.notify.map { .map($0.with) }))
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
            baseDirectory: folder(of: runbook.source), notifyTargets: header.mode == .tabletop ? [] : plan.notify,
            probes: header.mode == .tabletop ? [] : runbook.probes)
    }

    private static func folder(of document: DocumentSource) -> String {
        (absolute(document.path) as NSString).deletingLastPathComponent
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
