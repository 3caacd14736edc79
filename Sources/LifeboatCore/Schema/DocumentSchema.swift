/// The JSON Schema (draft 2020-12) of plans and runbooks, printed by `lifeboat schema` so that
/// editors can complete and check documents. Each action's `with:` is described from its spec.
public enum DocumentSchema {
    public static let identifier = "https://lifeboat.invalid/schema/lifeboat-document.json"

    /// The schema as pretty JSON. The same specs always give the same text.
    public static func json(actions: [ActionSpec]) -> String {
        schema(actions: actions.sorted { $0.name < $1.name }).pretty() + "\n"
    }

    static func schema(actions: [ActionSpec]) -> OrderedJSON {
        var defs: [(String, OrderedJSON)] = [
            ("duration", .object([
                ("type", "string"),
                ("pattern", "^\\s*([0-9]+(ms|s|m|h|d))+\\s*$"),
                ("description", "A duration with units: 500ms, 30s, 5m, 1h30m, 2d."),
            ])),
            ("size", .object([
                ("description", "A size: bytes, or a number with a unit (kB, MB, GB, TB; powers of 1024)."),
                ("anyOf", [
                    .object([("type", "integer"), ("minimum", 0)]),
                    .object([("type", "string"), ("pattern", "^\\s*[0-9]+\\s*([bB]|[kKmMgGtT]([iI]?[bB])?)?\\s*$")]),
                ]),
            ])),
            ("template", .object([
                ("type", "string"),
                ("pattern", "\\$\\{"),
                ("description", "A value with ${params.X}, ${vars.X}, ${secrets.X}, ${steps.ID.outputs.KEY} or ${run.X}, typed at run time."),
            ])),
            ("objectives", .object([
                ("type", "object"),
                ("description", "Recovery time and recovery point objectives."),
                ("properties", .object([
                    ("rto", ref("duration", "Recovery time objective.")),
                    ("rpo", ref("duration", "Recovery point objective.")),
                    ("judge_rto_by", .object([
                        ("enum", .strings(Objectives.RTOJudge.allCases.map(\.rawValue))),
                        ("description", "What the RTO objective is judged on: the runbook's window (default) or the outage a measures: outage probe saw."),
                    ])),
                ])),
                ("additionalProperties", false),
            ])),
            ("plan", planSchema()),
            ("secret", .object([
                ("type", "object"),
                ("description", "Where a secret comes from at run time."),
                ("properties", .object([
                    ("env", .object([("type", "string"), ("minLength", 1), ("description", "An environment variable.")])),
                    ("file", .object([("type", "string"), ("minLength", 1), ("description", "A file holding the secret.")])),
                ])),
                ("additionalProperties", false),
                ("minProperties", 1),
                ("maxProperties", 1),
            ])),
            ("scenario", .object([
                ("type", "object"),
                ("required", ["runbook"]),
                ("properties", .object([
                    ("description", .object([("type", "string")])),
                    ("runbook", .object([("type", "string"), ("description", "Runbook file, relative to the plan file.")])),
                    ("with", .object([("type", "object"), ("description", "Values for the runbook's params.")])),
                    ("objectives", .object([("$ref", "#/$defs/objectives")])),
                ])),
                ("additionalProperties", false),
            ])),
            ("runbook", runbookSchema()),
            ("param", .object([
                ("type", "object"),
                ("required", ["type"]),
                ("properties", .object([
                    ("type", .object([("enum", .strings(ParamSpec.ParamType.allCases.map(\.rawValue)))])),
                    ("required", .object([("type", "boolean")])),
                    ("default", .object([("description", "A value of the param's type.")])),
                    ("description", .object([("type", "string")])),
                ])),
                ("additionalProperties", false),
            ])),
            ("step", stepSchema(actions: actions)),
            ("retry", .object([
                ("type", "object"),
                ("required", ["attempts"]),
                ("properties", .object([
                    ("attempts", .object([("type", "integer"), ("minimum", 1), ("description", "Total attempts, the first included.")])),
                    ("delay", ref("duration", "Base delay of the exponential backoff.")),
                    ("max_delay", ref("duration", "Ceiling of the backoff delay.")),
                    ("jitter", .object([("enum", .strings(RetryPolicy.Jitter.allCases.map(\.rawValue)))])),
                ])),
                ("additionalProperties", false),
            ])),
            ("rollback", .object([
                ("type", "object"),
                ("required", ["action"]),
                ("properties", .object([
                    ("action", actionName(actions)),
                    ("with", .object([("type", "object")])),
                ])),
                ("additionalProperties", false),
                ("allOf", .array(actions.map(withRule))),
            ])),
        ]
        for action in actions { defs.append(("with." + action.name, withSchema(action))) }
        return .object([
            ("$schema", "https://json-schema.org/draft/2020-12/schema"),
            ("$id", .string(identifier)),
            ("title", "Lifeboat plan or runbook"),
            ("description", "A DR plan (top-level 'plan:') or a runbook (top-level 'runbook:')."),
            ("oneOf", [.object([("$ref", "#/$defs/plan")]), .object([("$ref", "#/$defs/runbook")])]),
            ("$defs", .object(defs)),
        ])
    }

    private static func planSchema() -> OrderedJSON {
        .object([
            ("type", "object"),
            ("description", "A DR plan: what a service promises, and its scenarios."),
            ("required", ["plan", "scenarios"]),
            ("properties", .object([
                ("plan", .object([("type", "string"), ("minLength", 1), ("description", "The plan's id.")])),
                ("description", .object([("type", "string")])),
                ("owner", .object([("type", "string")])),
                ("tier", .object([("enum", [1, 2, 3]), ("description", "1 → RTO 1h, RPO 5m; 2 → 4h, 1h; 3 → 24h, 24h.")])),
                ("objectives", .object([("$ref", "#/$defs/objectives")])),
                ("schedule", .object([
                    ("type", "object"),
                    ("properties", .object(Cadence.allCases.map {
                        ($0.rawValue, .object([("oneOf", [
                            .object([("enum", .strings(Frequency.allCases.map(\.rawValue)))]),
                            .object([
                                ("type", "object"),
                                ("description", "The scenarios that together make up one test of this cadence."),
                                ("required", ["every"]),
                                ("properties", .object([
                                    ("every", .object([("enum", .strings(Frequency.allCases.map(\.rawValue)))])),
                                    ("scenarios", .object([("type", "array"), ("minItems", 1), ("items", .object([("type", "string")]))])),
                                ])),
                                ("additionalProperties", false),
                            ]),
                        ])]))
                    })),
                    ("additionalProperties", false),
                ])),
                ("bulkheads", .object([
                    ("type", "object"),
                    ("description", "How many steps may run at once against one target: a step's bulkhead name or an endpoint (postgres://host:port)."),
                    ("additionalProperties", .object([("type", "integer"), ("minimum", 1)])),
                ])),
                ("notify", .object([
                    ("type", "array"),
                    ("description", "Messages sent on run events (a notify action's url, headers, timeout, tls), without a step in the runbook."),
                    ("items", .object([
                        ("type", "object"),
                        ("required", ["on", "url"]),
                        ("properties", .object([
                            ("on", .object([("type", "array"), ("items", .object([("enum", .strings(NotifyTrigger.allCases.map(\.rawValue)))]))])),
                            ("url", .object([("type", "string")])),
                            ("headers", .object([("type", "object")])),
                            ("timeout", .object([("type", "string")])),
                            ("tls", .object([("type", "object")])),
                        ])),
                        ("additionalProperties", false),
                    ])),
                ])),
                ("vars", .object([("type", "object")])),
                ("secrets", .object([("type", "object"), ("additionalProperties", .object([("$ref", "#/$defs/secret")]))])),
                ("scenarios", .object([
                    ("type", "object"),
                    ("minProperties", 1),
                    ("additionalProperties", .object([("$ref", "#/$defs/scenario")])),
                ])),
            ])),
            ("additionalProperties", false),
        ])
    }

    private static func runbookSchema() -> OrderedJSON {
        .object([
            ("type", "object"),
            ("description", "A runbook: typed steps with dependencies."),
            ("required", ["runbook", "steps"]),
            ("properties", .object([
                ("runbook", .object([("type", "string"), ("minLength", 1), ("description", "The runbook's id.")])),
                ("description", .object([("type", "string")])),
                ("params", .object([("type", "object"), ("additionalProperties", .object([("$ref", "#/$defs/param")]))])),
                ("rto_window", .object([
                    ("type", "object"),
                    ("required", ["start", "end"]),
                    ("properties", .object([
                        ("start", .object([("type", "string"), ("description", "RTO runs from the start of this step…")])),
                        ("end", .object([("type", "string"), ("description", "…to the end of this one.")])),
                    ])),
                    ("additionalProperties", false),
                ])),
                ("steps", .object([("type", "array"), ("minItems", 1), ("items", .object([("$ref", "#/$defs/step")]))])),
                ("probes", .object([
                    ("type", "array"),
                    ("description", "Steady-state probes: a check run every interval while the run executes; abort_when stops the run, measures: outage gives the observed outage."),
                    ("items", probeSchema()),
                ])),
            ])),
            ("additionalProperties", false),
        ])
    }

    private static func probeSchema() -> OrderedJSON {
        .object([
            ("type", "object"),
            ("required", ["id", "action"]),
            ("properties", .object([
                ("id", .object([("type", "string"), ("pattern", "^[A-Za-z0-9_-]+$")])),
                ("action", .object([("enum", .strings(RunbookParser.probeActions))])),
                ("with", .object([("type", "object")])),
                ("interval", ref("duration", "How often it samples (default 5s).")),
                ("timeout", ref("duration", "How long one sample may take (default: the interval).")),
                ("from", .object([("type", "string"), ("description", "Start sampling when this step starts (default: the run's start).")])),
                ("abort_when", .object([
                    ("type", "object"),
                    ("description", "{failing_for: 30s} or {error_rate: \"1%\", over: 30s}."),
                    ("properties", .object([
                        ("failing_for", ref("duration", "Every sample failed for this long.")),
                        ("error_rate", .object([("type", "string"), ("pattern", "^[0-9.]+%?$")])),
                        ("over", ref("duration", "The span the error rate is taken over.")),
                    ])),
                    ("additionalProperties", false),
                ])),
                ("on_breach", .object([("enum", .strings(ProbeBreachAction.allCases.map(\.rawValue)))])),
                ("measures", .object([("enum", ["outage"])])),
            ])),
            ("additionalProperties", false),
        ])
    }

    private static func stepSchema(actions: [ActionSpec]) -> OrderedJSON {
        .object([
            ("type", "object"),
            ("required", ["id", "action"]),
            ("properties", .object([
                ("id", .object([("type", "string"), ("pattern", "^[A-Za-z0-9_-]+$")])),
                ("title", .object([("type", "string")])),
                ("description", .object([("type", "string")])),
                ("action", actionName(actions)),
                ("needs", .object([
                    ("type", "array"),
                    ("items", .object([("type", "string"), ("pattern", "^[A-Za-z0-9_-]+$")])),
                ])),
                ("with", .object([("type", "object")])),
                ("timeout", ref("duration", "Per-attempt time limit.")),
                ("retry", .object([("$ref", "#/$defs/retry")])),
                ("expect", ref("duration", "Expected duration, for prediction and tabletop.")),
                ("when", .object([("enum", .strings(When.allCases.map(\.rawValue)))])),
                ("rollback", .object([("$ref", "#/$defs/rollback")])),
                ("idempotent", .object([("type", "boolean")])),
                ("bulkhead", .object([
                    ("type", "string"), ("minLength", 1),
                    ("description", "The bulkhead the step counts against (the plan's bulkheads: cap it); default: its action's endpoint."),
                ])),
                ("tabletop_outputs", .object([
                    ("type", "object"),
                    ("description", "Outputs a tabletop walk-through stands in for, for later steps that reference them."),
                ])),
            ])),
            ("additionalProperties", false),
            ("allOf", .array(actions.map(withRule))),
        ])
    }

    private static func actionName(_ actions: [ActionSpec]) -> OrderedJSON {
        if actions.isEmpty { return .object([("type", "string")]) }
        return .object([("enum", .strings(actions.map(\.name)))])
    }

    /// `if action is NAME then with: follows NAME's parameters`.
    private static func withRule(_ action: ActionSpec) -> OrderedJSON {
        .object([
            ("if", .object([
                ("properties", .object([("action", .object([("const", .string(action.name))]))])),
                ("required", ["action"]),
            ])),
            ("then", .object([("properties", .object([("with", .object([("$ref", .string("#/$defs/with." + action.name))]))]))])),
        ])
    }

    private static func withSchema(_ action: ActionSpec) -> OrderedJSON {
        var pairs: [(String, OrderedJSON)] = [
            ("type", "object"),
            ("description", .string(action.summary)),
            ("properties", .object(action.parameters.map { ($0.name, parameterSchema($0)) })),
        ]
        let required = action.parameters.filter(\.required).map(\.name)
        if !required.isEmpty { pairs.append(("required", .strings(required))) }
        if action.strictParameters { pairs.append(("additionalProperties", false)) }
        return .object(pairs)
    }

    private static func parameterSchema(_ parameter: ActionParameter) -> OrderedJSON {
        let description: (String, OrderedJSON) = ("description", .string(parameter.summary))
        let template = OrderedJSON.object([("$ref", "#/$defs/template")])
        let scalar: OrderedJSON = ["string", "number", "boolean"]
        let kind: OrderedJSON
        switch parameter.kind {
        case .any: return .object([description])
        case .string: return .object([("type", scalar), description])
        case .int:
            kind = .object([("anyOf", [
                .object([("type", "integer")]), .object([("type", "string"), ("pattern", "^[-+]?[0-9]+$")]),
            ])])
        case .number: kind = .object([("type", "number")])
        case .bool: kind = .object([("type", "boolean")])
        case .duration: kind = .object([("$ref", "#/$defs/duration")])
        case .size: kind = .object([("$ref", "#/$defs/size")])
        case .stringList: kind = .object([("type", "array"), ("items", .object([("type", scalar)]))])
        case .intList:
            kind = .object([("type", "array"), ("items", .object([("anyOf", [.object([("type", "integer")]), template])]))])
        case .map: kind = .object([("type", "object")])
        }
        return .object([("anyOf", [kind, template]), description])
    }

    private static func ref(_ name: String, _ description: String) -> OrderedJSON {
        .object([("$ref", .string("#/$defs/" + name)), ("description", .string(description))])
    }
}
