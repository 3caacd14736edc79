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

    init(_ request: ActionRequest, lookup: WaitAction.Lookup) throws(LifeboatError) {
        let duration = try request.durationMs("duration")
        let untilValue = request.params["until"].flatMap { $0 == .null ? nil : $0 }
        switch (duration, untilValue) {
        case (nil, nil):
            throw request.badParameter("duration", "or until: is required")
        case (.some, .some):
            throw request.badParameter("duration", "and until: are exclusive; give exactly one")
        case (.some(let ms), nil):
            guard ms >= 0 else { throw request.badParameter("duration", "must not be negative") }
            self = .delay(.milliseconds(ms))
        case (nil, .some(let value)):
            guard case .map(let map) = value, case .string(let name)? = map["action"] else {
                throw request.badParameter("until", "must be a map {action: NAME, with: {...}}")
            }
            if let extra = map.keys.sorted().first(where: { $0 != "action" && $0 != "with" }) {
                throw request.badParameter("until.\(extra)", "is not known; until takes action and with")
            }
            guard !Self.notNestable.contains(name), let handler = lookup(name) else {
                throw request.badParameter("until.action", "'\(name)' is not an action wait can poll")
            }
            var params: [String: Value] = [:]
            if let with = map["with"], with != .null {
                guard case .map(let m) = with else { throw request.badParameter("until.with", "must be a map") }
                params = m
            }
            let interval = try request.durationMs("interval") ?? Self.ms(WaitAction.defaultInterval)
            let timeout = try request.durationMs("timeout") ?? Self.ms(WaitAction.defaultTimeout)
            guard interval > 0 else { throw request.badParameter("interval", "must be longer than 0ms") }
            guard timeout > 0 else { throw request.badParameter("timeout", "must be longer than 0ms") }
            self = .until(Check(handler: handler, params: params, interval: .milliseconds(interval), timeout: .milliseconds(timeout)))
        }
    }

    private static func ms(_ d: Duration) -> Int64 { d.milliseconds }
}
