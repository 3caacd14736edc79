import LifeboatCore

/// A `wait` step's `with:` block, checked.
enum WaitParameters {
    /// A nested check polled by `until:`.
    struct Check: Sendable {
        var handler: any ActionHandler
        var params: [String: Value]
        var interval: Duration
        var timeout: Duration
    }

    case delay(Duration)
    case until(Check)

    /// Actions that cannot be nested in `until:`.
    static let notNestable: Set<String> = ["wait", "approval"]

    init(_ context: ActionContext, lookup: WaitAction.Lookup) throws(LifeboatError) {
        let duration = try context.durationMs("duration")
        let untilValue = context.params["until"].flatMap { $0 == .null ? nil : $0 }
        switch (duration, untilValue) {
        case (nil, nil):
            throw context.badParameter("duration", "or until: is required")
        case (.some, .some):
            throw context.badParameter("duration", "and until: are exclusive; give exactly one")
        case (.some(let ms), nil):
            guard ms >= 0 else { throw context.badParameter("duration", "must not be negative") }
            self = .delay(.milliseconds(ms))
        case (nil, .some(let value)):
            guard case .map(let map) = value, case .string(let name)? = map["action"] else {
                throw context.badParameter("until", "must be a map {action: NAME, with: {...}}")
            }
            if let extra = map.keys.sorted().first(where: { $0 != "action" && $0 != "with" }) {
                throw context.badParameter("until.\(extra)", "is not known; until takes action and with")
            }
            guard !Self.notNestable.contains(name), let handler = lookup(name) else {
                throw context.badParameter("until.action", "'\(name)' is not an action wait can poll")
            }
            var params: [String: Value] = [:]
            if let with = map["with"], with != .null {
                guard case .map(let m) = with else { throw context.badParameter("until.with", "must be a map") }
                params = m
            }
            let interval = try context.durationMs("interval") ?? Self.ms(WaitAction.defaultInterval)
            let timeout = try context.durationMs("timeout") ?? Self.ms(WaitAction.defaultTimeout)
            guard interval > 0 else { throw context.badParameter("interval", "must be longer than 0ms") }
            guard timeout > 0 else { throw context.badParameter("timeout", "must be longer than 0ms") }
            self = .until(Check(handler: handler, params: params, interval: .milliseconds(interval), timeout: .milliseconds(timeout)))
        }
    }

    private static func ms(_ d: Duration) -> Int64 { d.milliseconds }
}
