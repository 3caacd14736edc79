import LifeboatCore

/// A problem with a DNS step's `with:`: where (`["changes", "1", "name"]`) and what.
struct DNSParameterProblem: Error, Sendable {
    var path: [String]
    var problem: String
    /// The list item at fault (`records`' second entry: 1), for the validate-time location.
    var item: Int? = nil

    /// The run-time error: "parameter 'changes.1.name' 'x.other.test.' is not in zone …" (the
    /// step's context names the step).
    func error(_ context: ActionContext) -> LifeboatError { context.badParameter(path.joined(separator: "."), problem) }

    /// The validate-time form, located by the runbook parser (at the item, when there is one).
    var parameterProblem: ParameterProblem { ParameterProblem(path: path + (item.map { [String($0)] } ?? []), problem: problem) }
}

/// Reads the values of a DNS step's `with:` (or of one entry of `changes:`) for the parameter
/// parsers, which run twice: when the step runs (every value rendered) and at validate time
/// (`deferTemplates`: a value still holding `${…}` reads as nil, and the checks that need it are
/// skipped until the step runs).
struct DNSParameterReader: Sendable {
    var values: [String: Value]
    /// Where these values are: [] for `with:`, ["changes", "0"] for an entry of `changes:`.
    var path: [String] = []
    var deferTemplates: Bool

    func problem(_ key: String, _ text: String, item: Int? = nil) -> DNSParameterProblem {
        DNSParameterProblem(path: path + [key], problem: text, item: item)
    }

    func has(_ key: String) -> Bool { values[key].map { $0 != .null } ?? false }

    /// Whether the value is still a `${…}` template (validate time only).
    func isDeferred(_ value: Value) -> Bool {
        guard deferTemplates else { return false }
        switch value {
        case .string(let s): return s.contains("${")
        default: return false
        }
    }

    /// Whether the key is present and deferred: the checks that need it wait for the run.
    func deferred(_ key: String) -> Bool { values[key].map(isDeferred) ?? false }

    /// Text of a scalar; nil when absent or deferred.
    func string(_ key: String) throws(DNSParameterProblem) -> String? {
        guard let v = values[key], v != .null, !isDeferred(v) else { return nil }
        switch v {
        case .string(let s): return s
        case .int, .double, .bool: return v.renderedText
        default: throw problem(key, "must be a string")
        }
    }

    func requiredString(_ key: String) throws(DNSParameterProblem) -> String? {
        guard has(key) else { throw problem(key, "is required") }
        return try string(key)
    }

    func int(_ key: String) throws(DNSParameterProblem) -> Int? {
        guard let v = values[key], v != .null, !isDeferred(v) else { return nil }
        guard let i = v.intValue else { throw problem(key, "must be an integer") }
        return i
    }

    func bool(_ key: String) throws(DNSParameterProblem) -> Bool? {
        guard let v = values[key], v != .null, !isDeferred(v) else { return nil }
        guard let b = v.boolValue else { throw problem(key, "must be true or false") }
        return b
    }

    func durationMs(_ key: String) throws(DNSParameterProblem) -> Int64? {
        guard let v = values[key], v != .null, !isDeferred(v) else { return nil }
        if case .string(let s) = v, let ms = DurationText.parseMilliseconds(s) { return ms }
        throw problem(key, "must be a duration such as 500ms, 30s or 1h30m")
    }

    /// The items of a list of strings, each nil when deferred; nil when absent or deferred as a whole.
    func stringList(_ key: String) throws(DNSParameterProblem) -> [String?]? {
        guard let v = values[key], v != .null, !isDeferred(v) else { return nil }
        guard case .list(let items) = v else { throw problem(key, "must be a list") }
        var out: [String?] = []
        for item in items {
            if isDeferred(item) { out.append(nil); continue }
            switch item {
            case .string(let s): out.append(s)
            case .int, .double, .bool: out.append(item.renderedText)
            default: throw problem(key, "must be a list of strings")
            }
        }
        return out
    }

    /// Unknown keys are refused (for `changes:` entries; `with:` keys are checked by the runbook parser).
    func refuseKeys(except allowed: [String]) throws(DNSParameterProblem) {
        if let unknown = values.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw DNSParameterProblem(path: path + [unknown], problem: "is not a field of a change (fields: \(allowed.joined(separator: ", ")))")
        }
    }
}

/// A DNS action's parameters, read by one parser at run time and at validate time.
protocol DNSStepParameters {
    /// Nil when a value is deferred to run time (validate only).
    static func read(_ r: DNSParameterReader) throws(DNSParameterProblem) -> Self?
}

extension DNSStepParameters {
    /// The step's parameters as the step runs (every value rendered).
    init(_ context: ActionContext) throws(LifeboatError) {
        let parsed: Self?
        do { parsed = try Self.read(DNSParameterReader(values: context.params, deferTemplates: false)) } catch { throw error.error(context) }
        guard let parsed else { throw context.badParameter("with", "could not be read") }
        self = parsed
    }

    /// What `validate` reports for a step's `with:` (values holding `${…}` are checked at run time).
    static func problems(_ with: [String: Value]) -> [ParameterProblem] {
        do {
            _ = try read(DNSParameterReader(values: with, deferTemplates: true))
            return []
        } catch {
            return [error.parameterProblem]
        }
    }
}
