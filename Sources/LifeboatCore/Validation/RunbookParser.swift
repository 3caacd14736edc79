/// A runbook as read from its file: the model (best effort when there are errors), the problems
/// found while reading it, and what later checks need to know about where things were written.
struct ParsedRunbook: Sendable {
    var runbook: Runbook
    var diagnostics: [Diagnostic]
    var references: [ReferenceSite]
    /// Document-level locations by dotted path: `runbook`, `steps`, `rto_window.start`, `params.x`.
    var locations: [String: SourceLocation]
    /// Per step index: whether the step had an `id:` that is usable in the graph.
    var stepHasID: [Bool]
}

/// Reads a runbook's located YAML into a `Runbook`, reporting every structural problem.
struct RunbookParser: DocumentReading {
    static let topKeys = ["runbook", "description", "params", "rto_window", "steps", "probes"]
    static let stepKeys = [
        "id", "title", "description", "action", "needs", "with", "timeout", "retry", "expect", "when", "rollback", "idempotent",
        "bulkhead", "tabletop_outputs",
    ]
    static let paramKeys = ["type", "required", "default", "description"]
    static let retryKeys = ["attempts", "delay", "max_delay", "jitter"]
    static let probeKeys = ["id", "action", "with", "interval", "timeout", "from", "abort_when", "on_breach", "measures"]
    /// The actions a probe may run: checks, which change nothing.
    static let probeActions = ["http.check", "postgres.query", "dns.check", "command"]

    var diagnostics: [Diagnostic] = []
    private var scanner = TemplateScanner()
    private var locations: [String: SourceLocation] = [:]
    private let actions: [String: ActionSpec]
    private let actionNames: [String]

    init(actions: [String: ActionSpec]) {
        self.actions = actions
        self.actionNames = actions.keys.sorted()
    }

    mutating func parse(_ root: YAMLNode, source: DocumentSource) -> ParsedRunbook {
        let top = fields(of: root, "the runbook", allowed: Self.topKeys) ?? Fields(node: root, entries: [])
        let id = string(top, "runbook", "the runbook", required: true) ?? ""
        locations["runbook"] = top.location(of: "runbook")
        let description = string(top, "description", "the runbook")
        var params: [ParamSpec] = []
        if let entry = top["params"] { params = readParams(entry) }
        var steps: [Step] = []
        var hasID: [Bool] = []
        if let entry = top["steps"] {
            locations["steps"] = entry.keyLocation
            if let items = entry.value.items {
                if items.isEmpty {
                    error(entry.keyLocation, "runbook '\(id)' has no steps", hint: "add at least one step")
                }
                for (index, item) in items.enumerated() {
                    let (step, ok) = readStep(item, index: index)
                    steps.append(step)
                    hasID.append(ok)
                }
            } else {
                error(entry.value.location, "'steps' must be a list, not \(entry.value.kindDescription)",
                    hint: "write each step as a list item starting with '- id:'")
            }
        } else {
            error(root.location, "runbook '\(id)' has no 'steps'", hint: "add 'steps:' with at least one step")
        }
        var window: RTOWindow?
        if let entry = top["rto_window"], let f = fields(of: entry.value, "rto_window", allowed: ["start", "end"]) {
            let start = string(f, "start", "rto_window", required: true)
            let end = string(f, "end", "rto_window", required: true)
            locations["rto_window.start"] = f["start"]?.value.location ?? entry.keyLocation
            locations["rto_window.end"] = f["end"]?.value.location ?? entry.keyLocation
            if let start, let end { window = RTOWindow(start: start, end: end) }
        }
        var probes: [Probe] = []
        if let entry = top["probes"] { probes = readProbes(entry) }
        let runbook = Runbook(
            id: id, description: description, params: params, rtoWindow: window, steps: steps, probes: probes,
            source: source)
        return ParsedRunbook(
            runbook: runbook, diagnostics: diagnostics + scanner.diagnostics, references: scanner.references,
            locations: locations, stepHasID: hasID)
    }

    // MARK: - Params

    private mutating func readParams(_ entry: YAMLEntry) -> [ParamSpec] {
        guard let entries = entries(of: entry.value, "'params'", hint: "write each param as NAME: {type: string}")
        else { return [] }
        var out: [ParamSpec] = []
        for param in entries {
            let what = "param '\(param.key)'"
            locations["params.\(param.key)"] = param.keyLocation
            guard let f = fields(of: param.value, what, allowed: Self.paramKeys) else { continue }
            var type: ParamSpec.ParamType?
            if let t = f["type"] {
                type = oneOf(t.value, ParamSpec.ParamType.self, "type for \(what)")
            } else {
                error(param.keyLocation, "\(what) has no type",
                    hint: "add type: one of \(ParamSpec.ParamType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let required = bool(f, "required", what) ?? false
            var defaultValue: Value?
            if let d = f["default"] {
                let value = d.value.value
                if value != .null { defaultValue = value }
                if let type, value != .null, let problem = ValueChecks.problem(value, type: type) {
                    error(d.value.location, "the default of \(what) \(problem)",
                        hint: "give a default of type \(type.rawValue)")
                }
                scanner.scan(d.value, path: "params.\(param.key).default", keyLocation: d.keyLocation,
                    context: .paramDefault(param.key), locations: &locations)
            }
            let description = string(f, "description", what)
            out.append(ParamSpec(
                name: param.key, type: type ?? .string, required: required, defaultValue: defaultValue,
                description: description, location: param.keyLocation))
        }
        return out
    }

    // MARK: - Steps

    private mutating func readStep(_ node: YAMLNode, index: Int) -> (Step, Bool) {
        let placeholder = "#\(index + 1)"
        // Name the step by its id in every message, when it has a usable one.
        var name = "step \(placeholder)"
        if case .string(let s)? = node.entries?.first(where: { $0.key == "id" })?.value.scalar, !s.isEmpty {
            name = "step '\(s)'"
        }
        guard let f = fields(of: node, name, allowed: Self.stepKeys) else {
            return (Step(id: "", action: "", location: node.location), false)
        }
        var fieldLocations: [String: SourceLocation] = [:]
        for e in f.entries { fieldLocations[e.key] = e.keyLocation }

        var id = ""
        var hasID = false
        if let entry = f["id"] {
            switch entry.value.scalar {
            case .string(let s)? where !s.isEmpty:
                id = s
                hasID = true
                if !Self.isValidID(s) {
                    error(entry.value.location, "step id '\(s)' may only contain letters, digits, '_' and '-'",
                        hint: "rename it, e.g. '\(Self.suggestedID(s))'")
                }
            case .int?, .double?, .bool?:
                id = entry.value.scalar!.renderedText
                hasID = true
                error(entry.value.location, "step id must be a string, not \(entry.value.kindDescription)",
                    hint: "quote it: id: \"\(id)\"")
            default:
                error(entry.value.location, "step \(placeholder) has an empty id", hint: "give the step a unique id")
            }
        } else {
            error(node.location, "step \(placeholder) has no 'id'", hint: "add 'id:' with a unique name")
        }
        let what = hasID ? "step '\(id)'" : name

        let title = string(f, "title", what)
        let description = string(f, "description", what)
        var action = ""
        if let entry = f["action"] {
            if let name = string(f, "action", what) {
                action = name
                checkKnownAction(name, at: entry.value.location, in: what)
            }
        } else {
            error(node.location, "\(what) has no 'action'",
                hint: "add 'action:' (one of: \(actionNames.joined(separator: ", ")))")
        }

        var needs: [String] = []
        if let entry = f["needs"] {
            if let items = entry.value.items {
                for (i, item) in items.enumerated() {
                    fieldLocations["needs.\(i)"] = item.location
                    if case .string(let s)? = item.scalar {
                        needs.append(s)
                    } else {
                        error(item.location, "'needs' of \(what) must list step ids, not \(item.kindDescription)",
                            hint: "write needs: [step-id, …]")
                    }
                }
            } else {
                error(entry.value.location, "'needs' of \(what) must be a list, not \(entry.value.kindDescription)",
                    hint: "write needs: [\(entry.value.scalar?.renderedText ?? "step-id")]")
            }
        }

        var with: [String: Value] = [:]
        if let entry = f["with"] {
            with = readWith(
                entry, action: action, context: .step(index), prefix: "with", in: what, locations: &fieldLocations)
        } else if let spec = actions[action] {
            checkRequired(spec, present: [], at: node.location, in: what)
        }

        let timeoutMs = durationMs(f, "timeout", what)
        let expectMs = durationMs(f, "expect", what)
        let retry = f["retry"].flatMap { readRetry($0, in: what) }
        let when = f["when"].flatMap { oneOf($0.value, When.self, "'when' for \(what)") } ?? .always
        let rollback = f["rollback"].flatMap { readRollback($0, index: index, in: what, fieldLocations: &fieldLocations) }
        let idempotent = bool(f, "idempotent", what)
        let bulkhead = string(f, "bulkhead", what)
        if bulkhead?.isEmpty == true { error(f.location(of: "bulkhead"), "'bulkhead' of \(what) is empty", hint: "name it, e.g. bulkhead: postgres-primary") }
        var tabletopOutputs: [String: Value] = [:]
        if let entry = f["tabletop_outputs"],
            let entries = entries(of: entry.value, "'tabletop_outputs' of \(what)",
                hint: "write the outputs a walk-through stands in for as key: value pairs, e.g. active_az: eu-west-1b")
        {
            for e in entries { tabletopOutputs[e.key] = e.value.value }
        }

        let step = Step(
            id: id, title: title, description: description, action: action, needs: needs, with: with,
            timeout: timeoutMs.map { .milliseconds($0) }, retry: retry, expect: expectMs.map { .milliseconds($0) },
            when: when, rollback: rollback, idempotent: idempotent, bulkhead: bulkhead, tabletopOutputs: tabletopOutputs, location: node.location,
            fieldLocations: fieldLocations)
        return (step, hasID)
    }

    private mutating func readRetry(_ entry: YAMLEntry, in what: String) -> RetryPolicy? {
        let context = "the retry of \(what)"
        guard let f = fields(of: entry.value, context, allowed: Self.retryKeys) else { return nil }
        var attempts = 1
        if let a = f["attempts"] {
            if let n = int(f, "attempts", context) {
                if n < 1 {
                    error(a.value.location, "'attempts' in \(context) must be at least 1, not \(n)",
                        hint: "attempts counts the first try: 1 means no retry")
                } else {
                    attempts = n
                }
            }
        } else {
            error(entry.keyLocation, "\(context) has no 'attempts'", hint: "add attempts: N (the first try included)")
        }
        let delay = durationMs(f, "delay", context) ?? 1_000
        let maxDelay = durationMs(f, "max_delay", context) ?? max(30_000, delay)
        if let m = f["max_delay"], maxDelay < delay {
            error(m.value.location, "'max_delay' in \(context) is shorter than 'delay'",
                hint: "make max_delay at least \(DurationText.format(milliseconds: delay))")
        }
        let jitter = f["jitter"].flatMap { oneOf($0.value, RetryPolicy.Jitter.self, "'jitter' for \(context)") } ?? .full
        return RetryPolicy(attempts: attempts, delayMs: delay, maxDelayMs: maxDelay, jitter: jitter)
    }

    private mutating func readRollback(
        _ entry: YAMLEntry, index: Int, in what: String, fieldLocations: inout [String: SourceLocation]
    ) -> Compensation? {
        let context = "the rollback of \(what)"
        guard let f = fields(of: entry.value, context, allowed: ["action", "with"]) else { return nil }
        var action = ""
        if let a = f["action"] {
            fieldLocations["rollback.action"] = a.keyLocation
            if let name = string(f, "action", context) {
                action = name
                checkKnownAction(name, at: a.value.location, in: context)
            }
        } else {
            error(entry.keyLocation, "\(context) has no 'action'", hint: "add action: and with: to the rollback")
        }
        var with: [String: Value] = [:]
        if let w = f["with"] {
            with = readWith(
                w, action: action, context: .rollback(index), prefix: "rollback.with", in: context,
                locations: &fieldLocations)
        } else if let spec = actions[action] {
            checkRequired(spec, present: [], at: entry.keyLocation, in: context)
        }
        return Compensation(action: action, with: with, location: entry.keyLocation)
    }

    // MARK: - Probes

    private mutating func readProbes(_ entry: YAMLEntry) -> [Probe] {
        locations["probes"] = entry.keyLocation
        guard let items = entry.value.items else {
            error(entry.value.location, "'probes' must be a list, not \(entry.value.kindDescription)",
                hint: "write each probe as a list item: - id: service-up, action: http.check, with: {url: …}, interval: 5s")
            return []
        }
        var probes: [Probe] = []
        for (index, item) in items.enumerated() {
            var what = "probe #\(index + 1)"
            guard let f = fields(of: item, what, allowed: Self.probeKeys) else { continue }
            guard let id = string(f, "id", what, required: true), !id.isEmpty else { continue }
            what = "probe '\(id)'"
            if !Self.isValidID(id) {
                error(f.location(of: "id"), "probe id '\(id)' may only contain letters, digits, '_' and '-'",
                    hint: "rename it, e.g. '\(Self.suggestedID(id))'")
            }
            if probes.contains(where: { $0.id == id }) {
                error(f.location(of: "id"), "two probes are called '\(id)'", hint: "give each probe its own id")
            }
            locations["probes.\(id)"] = item.location
            locations["probes.\(id).from"] = f["from"]?.value.location
            let action = string(f, "action", what, required: true) ?? ""
            if !action.isEmpty, !Self.probeActions.contains(action) {
                error(f["action"]!.value.location, "\(what) cannot run '\(action)': a probe checks, it changes nothing",
                    hint: "use one of: \(Self.probeActions.joined(separator: ", "))")
            }
            var ignored: [String: SourceLocation] = [:]
            var with: [String: Value] = [:]
            if let w = f["with"] {
                with = readWith(w, action: action, context: .probe(index), prefix: "probes.\(id).with", in: what, locations: &ignored)
            } else if let spec = actions[action] {
                checkRequired(spec, present: [], at: item.location, in: what)
            }
            let interval = durationMs(f, "interval", what) ?? Probe.defaultIntervalMs
            if interval < Probe.minimumIntervalMs {
                error(f.location(of: "interval"), "the interval of \(what) is shorter than \(Probe.minimumIntervalMs)ms",
                    hint: "sample at most every \(Probe.minimumIntervalMs)ms; 5s is the usual steady-state probe")
            }
            let timeout = durationMs(f, "timeout", what)
            let from = string(f, "from", what)
            let abortWhen = f["abort_when"].flatMap { readAbortRule($0, in: what) }
            let onBreach = f["on_breach"].flatMap { oneOf($0.value, ProbeBreachAction.self, "'on_breach' for \(what)") } ?? .pause
            var measuresOutage = false
            if let m = f["measures"] {
                if case .string("outage")? = m.value.scalar { measuresOutage = true } else {
                    error(m.value.location, "'measures' of \(what) must be 'outage'",
                        hint: "write measures: outage on the probe that sees what users see")
                }
            }
            probes.append(Probe(
                id: id, action: action, with: with, intervalMs: interval, timeoutMs: timeout, from: from, abortWhen: abortWhen,
                onBreach: onBreach, measuresOutage: measuresOutage, location: item.location))
        }
        let measuring = probes.filter(\.measuresOutage)
        if measuring.count > 1 {
            error(locations["probes.\(measuring[1].id)"] ?? entry.keyLocation,
                "probes '\(measuring[0].id)' and '\(measuring[1].id)' both measure the outage",
                hint: "mark one probe measures: outage: the one that sees what users see")
        }
        return probes
    }

    /// `{failing_for: 30s}` or `{error_rate: "1%", over: 30s}`.
    private mutating func readAbortRule(_ entry: YAMLEntry, in what: String) -> ProbeAbortRule? {
        let context = "'abort_when' of \(what)"
        let hint = "write abort_when: {failing_for: 30s} or abort_when: {error_rate: \"1%\", over: 30s}"
        guard let f = fields(of: entry.value, context, allowed: ["failing_for", "error_rate", "over"]) else { return nil }
        switch (f["failing_for"], f["error_rate"]) {
        case (.some, nil):
            guard f["over"] == nil else {
                error(f.location(of: "over"), "\(context): 'over' goes with error_rate, not failing_for", hint: hint)
                return nil
            }
            return durationMs(f, "failing_for", context).map { .failingFor(ms: $0) }
        case (nil, .some(let rate)):
            let text = rate.value.scalar?.renderedText ?? ""
            let number = Double(text.hasSuffix("%") ? String(text.dropLast()) : text)
            guard let number, number >= 0, number < 100 else {
                error(rate.value.location, "\(context): error_rate must be a percentage below 100%, like \"1%\", not '\(text)'", hint: hint)
                return nil
            }
            guard let over = durationMs(f, "over", context) else {
                if f["over"] == nil { error(entry.keyLocation, "\(context) has an error_rate but no 'over'", hint: hint) }
                return nil
            }
            return .errorRate(percent: number, overMs: over)
        default:
            error(entry.keyLocation, "\(context) must say failing_for, or error_rate with over (one of them)", hint: hint)
            return nil
        }
    }

    // MARK: - Actions and with:

    private mutating func checkKnownAction(_ name: String, at location: SourceLocation, in what: String) {
        guard actions[name] == nil else { return }
        error(location, "unknown action '\(name)' in \(what)", hint: Suggestion.hint(for: name, in: actionNames))
    }

    /// Reads `with:`, checks it against the action's spec and scans it for references.
    private mutating func readWith(
        _ entry: YAMLEntry, action: String, context: ReferenceSite.Context, prefix: String, in what: String,
        locations: inout [String: SourceLocation]
    ) -> [String: Value] {
        guard let entries = entries(of: entry.value, "'with' of \(what)", hint: "write the action's parameters as key: value pairs")
        else { return [:] }
        locations[prefix] = entry.keyLocation
        var out: [String: Value] = [:]
        for e in entries {
            out[e.key] = e.value.value
            scanner.scan(e.value, path: prefix + "." + e.key, keyLocation: e.keyLocation, context: context,
                locations: &locations)
        }
        guard let spec = actions[action] else { return out }
        let errorsBefore = diagnostics.count
        for e in entries {
            guard let parameter = spec.parameter(e.key) else {
                if spec.strictParameters {
                    error(e.keyLocation, "action '\(action)' has no parameter '\(e.key)' (in \(what))",
                        hint: Suggestion.hint(for: e.key, in: spec.parameters.map(\.name)))
                }
                continue
            }
            if let problem = ValueChecks.problem(out[e.key]!, kind: parameter.kind) {
                error(e.value.location, "parameter '\(e.key)' of \(what) \(problem)",
                    hint: "\(e.key): \(parameter.summary)")
            }
        }
        checkRequired(spec, present: Set(out.filter { $0.value != .null }.keys), at: entry.keyLocation, in: what)
        if let check = spec.check, diagnostics.count == errorsBefore {
            for p in check(out) {
                let name = p.path.joined(separator: ".")
                error(Self.locate(p.path, in: entry.value) ?? entry.keyLocation, "parameter '\(name)' of \(what) \(p.problem)",
                    hint: spec.parameter(p.path.first ?? "").map { "\($0.name): \($0.summary)" } ?? "fix the step's with:")
            }
        }
        return out
    }

    /// Where `path` (keys and list indexes) points inside a `with:` node; nil when it is not there.
    static func locate(_ path: [String], in node: YAMLNode) -> SourceLocation? {
        var current = node
        for component in path {
            if let entries = current.entries, let e = entries.first(where: { $0.key == component }) {
                current = e.value
            } else if let items = current.items, let i = Int(component), items.indices.contains(i) {
                current = items[i]
            } else {
                return nil
            }
        }
        return current.location
    }

    private mutating func checkRequired(
        _ spec: ActionSpec, present: Set<String>, at location: SourceLocation, in what: String
    ) {
        for parameter in spec.parameters where parameter.required && !present.contains(parameter.name) {
            error(location, "\(what) is missing required parameter '\(parameter.name)' of action '\(spec.name)'",
                hint: "add \(parameter.name): to with: (\(parameter.summary))")
        }
    }

    // MARK: - Ids

    static func isValidID(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
        }
    }

    static func suggestedID(_ s: String) -> String {
        let mapped = String(s.unicodeScalars.map { c -> Character in
            isValidID(String(c)) ? Character(c) : "-"
        })
        return mapped.isEmpty ? "step-1" : mapped
    }
}
