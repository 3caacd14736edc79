/// Whether a value fits a declared kind: an action parameter's or a runbook param's.
///
/// A string holding a `${...}` reference fits anything: it is typed when the step runs.
enum ValueChecks {
    /// Nil when `value` fits `kind`, otherwise what is wrong ("must be a list of strings").
    static func problem(_ value: Value, kind: ActionParameter.Kind) -> String? {
        if value.isTemplate || value == .null { return nil }
        switch kind {
        case .any: return nil
        case .string:
            switch value {
            case .list, .map: return "must be a single value, not \(value.kindDescription)"
            default: return nil
            }
        case .int:
            return isInt(value) ? nil : "must be an integer, not \(describe(value))"
        case .number:
            switch value {
            case .int, .double: return nil
            case .string(let s) where Double(s) != nil: return nil
            default: return "must be a number, not \(describe(value))"
            }
        case .bool:
            return value.boolValue == nil ? "must be true or false, not \(describe(value))" : nil
        case .duration:
            if case .string(let s) = value, DurationText.parseMilliseconds(s) != nil { return nil }
            return "must be a duration such as 500ms, 30s or 1h30m, not \(describe(value))"
        case .size:
            if case .int(let i) = value, i >= 0 { return nil }
            if case .string(let s) = value, SizeText.parseBytes(s) != nil { return nil }
            return "must be a size such as 16MB or 4096, not \(describe(value))"
        case .stringList:
            guard case .list(let items) = value else { return "must be a list, not \(describe(value))" }
            for item in items where !item.isTemplate {
                switch item {
                case .list, .map, .null: return "must be a list of strings, but an item is \(item.kindDescription)"
                default: continue
                }
            }
            return nil
        case .intList:
            guard case .list(let items) = value else { return "must be a list of integers, not \(describe(value))" }
            for item in items where !item.isTemplate && !isInt(item) {
                return "must be a list of integers, but an item is \(describe(item))"
            }
            return nil
        case .map:
            if case .map = value { return nil }
            return "must be a mapping, not \(describe(value))"
        }
    }

    /// Nil when `value` fits a runbook param of `type`, otherwise what is wrong.
    static func problem(_ value: Value, type: ParamSpec.ParamType) -> String? {
        if value.isTemplate { return nil }
        switch type {
        case .string:
            if case .string = value { return nil }
            return "must be a string, not \(describe(value))"
        case .int:
            if case .int = value { return nil }
            return "must be an integer, not \(describe(value))"
        case .number:
            switch value {
            case .int, .double: return nil
            default: return "must be a number, not \(describe(value))"
            }
        case .bool:
            if case .bool = value { return nil }
            return "must be true or false, not \(describe(value))"
        case .duration: return problem(value, kind: .duration)
        case .size: return problem(value, kind: .size)
        case .list:
            if case .list = value { return nil }
            return "must be a list, not \(describe(value))"
        case .map:
            if case .map = value { return nil }
            return "must be a mapping, not \(describe(value))"
        }
    }

    /// Converts a `-p name=text` override to the param's type, or explains why it cannot.
    static func convert(_ text: String, to type: ParamSpec.ParamType) -> Result<Value, ConversionError> {
        func fail(_ what: String) -> Result<Value, ConversionError> { .failure(ConversionError(message: what)) }
        switch type {
        case .string:
            return .success(.string(text))
        case .int:
            guard let i = Int(text.trimmingWhitespace()) else { return fail("'\(text)' is not an integer") }
            return .success(.int(i))
        case .number:
            let t = text.trimmingWhitespace()
            if let i = Int(t) { return .success(.int(i)) }
            guard let d = Double(t), d.isFinite else { return fail("'\(text)' is not a number") }
            return .success(.double(d))
        case .bool:
            guard let b = Value.string(text).boolValue else { return fail("'\(text)' is not true or false") }
            return .success(.bool(b))
        case .duration:
            guard DurationText.parseMilliseconds(text) != nil else {
                return fail("'\(text)' is not a duration such as 500ms, 30s or 1h30m")
            }
            return .success(.string(text.trimmingWhitespace()))
        case .size:
            guard SizeText.parseBytes(text) != nil else { return fail("'\(text)' is not a size such as 16MB") }
            return .success(.string(text.trimmingWhitespace()))
        case .list, .map:
            guard let node = try? YAMLDocument.parse(text, file: "-p") else {
                return fail("'\(text)' is not valid YAML")
            }
            let value = node.value
            if let problem = problem(value, type: type) { return fail("'\(text)' \(problem)") }
            return .success(value)
        }
    }

    struct ConversionError: Error, Sendable {
        var message: String
    }

    private static func isInt(_ value: Value) -> Bool {
        switch value {
        case .int: return true
        case .double(let d): return d == d.rounded()
        case .string(let s): return Int(s) != nil
        default: return false
        }
    }

    private static func describe(_ value: Value) -> String {
        switch value {
        case .string(let s): return "'\(s)'"
        case .int, .double, .bool: return "\(value.kindDescription) (\(value.renderedText))"
        default: return value.kindDescription
        }
    }
}
