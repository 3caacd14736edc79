/// The actions a build of Lifeboat knows, by name.
public struct ActionRegistry: Sendable {
    private var handlers: [String: any ActionHandler]

    public init(_ handlers: [any ActionHandler] = []) {
        self.handlers = [:]
        for h in handlers { self.handlers[h.spec.name] = h }
    }

    public mutating func register(_ handler: any ActionHandler) { handlers[handler.spec.name] = handler }

    public func handler(_ name: String) -> (any ActionHandler)? { handlers[name] }

    public func spec(_ name: String) -> ActionSpec? { handlers[name]?.spec }

    public var names: [String] { handlers.keys.sorted() }

    public var specs: [ActionSpec] { names.compactMap(spec) }
}
