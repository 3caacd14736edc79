/// What `validate` warns about in a runbook: allowed, but probably not what the author meant.
/// A run does not stop for these; `validate --strict` treats them as errors.
enum RunbookWarnings {
    static func check(_ parsed: ParsedRunbook) -> [Diagnostic] {
        parsed.runbook.steps.compactMap(expectOverTimeout)
    }

    /// A step expected to take longer than its timeout would be stopped before it is expected to
    /// finish; the RTO prediction, which uses `expect`, would be wrong too.
    private static func expectOverTimeout(_ step: Step) -> Diagnostic? {
        guard let expect = step.expect?.milliseconds, let timeout = step.timeout?.milliseconds, expect > timeout,
            let location = step.fieldLocations["expect"]
        else { return nil }
        let text = DurationText.format(milliseconds:)
        return Diagnostic(
            location,
            "step '\(step.id)' expects \(text(expect)) but times out after \(text(timeout)): it would be stopped before it is expected to finish",
            hint: "raise timeout: to at least \(text(expect)), or lower expect: to what one attempt takes",
            severity: .warning)
    }
}
