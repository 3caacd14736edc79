import LifeboatCore

extension ActionContext {
    /// An int or a list of ints (`expect_exit: 3`, `expect_status: [200, 204]`).
    func intList(_ name: String) throws(LifeboatError) -> [Int]? {
        guard let value = params[name], value != .null else { return nil }
        if let single = value.intValue { return [single] }
        guard case .list(let items) = value else { throw badParameter(name, "must be an integer or a list of integers") }
        var out: [Int] = []
        for item in items {
            guard let i = item.intValue else { throw badParameter(name, "must be a list of integers") }
            out.append(i)
        }
        return out
    }

    /// A map of strings (`env:`, `headers:`); numbers and booleans are taken as their text.
    func stringMap(_ name: String) throws(LifeboatError) -> [String: String]? {
        guard let value = params[name], value != .null else { return nil }
        guard case .map(let map) = value else { throw badParameter(name, "must be a map of NAME: value") }
        var out: [String: String] = [:]
        for (key, item) in map {
            switch item {
            case .string(let s): out[key] = s
            case .int, .double, .bool: out[key] = item.renderedText
            default: throw badParameter(name, "value of '\(key)' must be a string")
            }
        }
        return out
    }

    /// The same step with other parameters: how `wait` runs its nested check.
    func with(params newParams: [String: Value]) -> ActionContext {
        var copy = self
        copy.params = newParams
        return copy
    }
}
