import Foundation
import LifeboatCore
import Testing

/// A `postgres.query` request for step `s1` of run `r1`.
func request(_ params: [String: Value], step: String = "s1", masker: SecretMasker = .none) -> ActionContext {
    ActionContext(runID: "r1", stepID: step, mode: .execute, params: params, masker: masker, baseDirectory: "/tmp")
}

/// Runs `body` and returns the error of type `E` it throws (recording an issue otherwise).
func thrown<E: Error>(
    _ type: E.Type, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> E? {
    do {
        try await body()
        Issue.record("expected \(E.self), nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as E {
        return error
    } catch {
        Issue.record("expected \(E.self), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(seconds: Double = 10, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Every text of an error a person or a log could see.
func allTexts(_ error: LifeboatError) -> [String] {
    [error.message, error.description, error.hint ?? "", error.detail ?? "", String(describing: error), String(reflecting: error)]
}
