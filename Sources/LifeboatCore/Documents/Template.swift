/// `${...}` references inside document values, and their value-level substitution.
///
/// A value is never re-parsed: a string that is exactly one reference takes the referenced value
/// (with its type); a reference inside a longer string is replaced by the value's text. `$${` writes
/// a literal `${`.
public enum Template {
    /// One `${scope.path}` reference.
    public struct Reference: Sendable, Hashable, CustomStringConvertible {
        public enum Scope: String, Sendable, CaseIterable { case params, vars, secrets, steps, run }
        public var scope: Scope
        /// The dotted path after the scope: `to_region`, `promote.outputs.lsn`, `id`.
        public var path: [String]
        public var text: String

        public var description: String { "${\(text)}" }
    }

    public enum Piece: Sendable, Hashable {
        case literal(String)
        case reference(Reference)
    }

    /// A syntax problem in a template string.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// `text` written so that it renders to itself: every `${` becomes `$${`.
    public static func escaped(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest.index(after: dollar)
            out += after < rest.endIndex && rest[after] == "{" ? "$$" : "$"
            rest = rest[after...]
        }
        return out + rest
    }

    /// Splits a string into literal text and references.
    public static func parse(_ string: String) throws(SyntaxError) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var index = string.startIndex
        while index < string.endIndex {
            let c = string[index]
            let next = string.index(after: index)
            if c == "$", next < string.endIndex, string[next] == "$",
                string.index(after: next) < string.endIndex, string[string.index(after: next)] == "{"
            {
                literal += "$"
                index = string.index(after: next)
                continue
            }
            if c == "$", next < string.endIndex, string[next] == "{" {
                guard let close = string[next...].firstIndex(of: "}") else {
                    throw SyntaxError(message: "unclosed '${' in \"\(string)\"")
                }
                let inner = String(string[string.index(after: next)..<close]).trimmingWhitespace()
                if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
                pieces.append(.reference(try reference(inner)))
                index = string.index(after: close)
                continue
            }
            literal.append(c)
            index = next
        }
        if !literal.isEmpty || pieces.isEmpty { pieces.append(.literal(literal)) }
        return pieces
    }

    private static func reference(_ inner: String) throws(SyntaxError) -> Reference {
        let parts = inner.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let scope = Reference.Scope(rawValue: first) else {
            let scopes = Reference.Scope.allCases.map(\.rawValue).joined(separator: ", ")
            throw SyntaxError(message: "unknown reference '${\(inner)}': it must start with one of \(scopes)")
        }
        let path = Array(parts.dropFirst())
        guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty }) else {
            throw SyntaxError(message: "incomplete reference '${\(inner)}'")
        }
        if scope == .steps, path.count < 3 || path[1] != "outputs" {
            throw SyntaxError(message: "reference '${\(inner)}' must read '${steps.STEP.outputs.KEY}'")
        }
        return Reference(scope: scope, path: path, text: inner)
    }

    /// Every reference inside a value (recursively), with syntax errors reported per string.
    public static func references(in value: Value) -> [Result<Reference, SyntaxError>] {
        switch value {
        case .string(let s):
            do {
                return try parse(s).compactMap {
                    if case .reference(let r) = $0 { return .success(r) }
                    return nil
                }
            } catch {
                return [.failure(error)]
            }
        case .list(let l): return l.flatMap(references(in:))
        case .map(let m): return m.keys.sorted().flatMap { references(in: m[$0]!) }
        default: return []
        }
    }
}

/// What `${...}` references resolve to when a step is about to run.
public struct RenderContext: Sendable {
    public var params: [String: Value]
    public var vars: [String: Value]
    public var secrets: [String: String]
    /// Outputs of completed steps, by step id.
    public var stepOutputs: [String: [String: Value]]
    public var run: [String: Value]
    /// Tabletop: an output no step produced renders as "(output KEY of STEP)" instead of failing,
    /// since a walk-through runs nothing.
    public var standInForMissingOutputs = false

    public init(
        params: [String: Value] = [:], vars: [String: Value] = [:], secrets: [String: String] = [:],
        stepOutputs: [String: [String: Value]] = [:], run: [String: Value] = [:]
    ) {
        self.params = params
        self.vars = vars
        self.secrets = secrets
        self.stepOutputs = stepOutputs
        self.run = run
    }

    /// Resolves one reference, or explains why it cannot be resolved.
    public func resolve(_ reference: Template.Reference) -> Result<Value, LifeboatError> {
        func missing(_ what: String) -> Result<Value, LifeboatError> {
            .failure(LifeboatError(.invalidInput, "\(reference) cannot be resolved: \(what)"))
        }
        let path = reference.path
        switch reference.scope {
        case .params:
            guard let v = params[path[0]] else { return missing("no parameter '\(path[0])'") }
            // A param's value is itself a template over vars, secrets and run: a scenario's `with:`
            // or a param default may say ${vars.x}. Values given with -p arrive escaped ($${), so
            // they stay literal. Params cannot refer to params or step outputs (validation says so).
            var outer = self
            outer.params = [:]
            outer.stepOutputs = [:]
            let rendered: Value
            do { rendered = try outer.render(v) } catch { return .failure(error) }
            return dig(rendered, path.dropFirst(), reference)
        case .vars:
            guard let v = vars[path[0]] else { return missing("the plan has no var '\(path[0])'") }
            return dig(v, path.dropFirst(), reference)
        case .secrets:
            guard let v = secrets[path[0]] else { return missing("secret '\(path[0])' is not available") }
            return .success(.string(v))
        case .steps:
            let produced = stepOutputs[path[0]]?[path[2]]
            if produced == nil, standInForMissingOutputs { return .success(.string("(output \(path[2]) of \(path[0]))")) }
            guard let outputs = stepOutputs[path[0]] else {
                return missing("step '\(path[0])' has not completed")
            }
            guard let v = outputs[path[2]] else { return missing("step '\(path[0])' has no output '\(path[2])'") }
            return dig(v, path.dropFirst(3), reference)
        case .run:
            guard let v = run[path[0]] else { return missing("no run field '\(path[0])'") }
            return .success(v)
        }
    }

    private func dig(_ value: Value, _ rest: ArraySlice<String>, _ reference: Template.Reference)
        -> Result<Value, LifeboatError>
    {
        var current = value
        for key in rest {
            switch current {
            case .map(let m) where m[key] != nil: current = m[key]!
            case .list(let l) where Int(key).map({ l.indices.contains($0) }) == true: current = l[Int(key)!]
            default: return .failure(LifeboatError(.invalidInput, "\(reference) cannot be resolved: no '\(key)'"))
            }
        }
        return .success(current)
    }

    /// `text` with each reference that resolves substituted and the others left as written: for
    /// titles and descriptions, which are shown, never acted on.
    public func renderLeniently(_ text: String) -> String {
        guard let pieces = try? Template.parse(text) else { return text }
        return pieces.map { piece in
            switch piece {
            case .literal(let literal): literal
            case .reference(let r): (try? resolve(r).get())?.renderedText ?? r.description
            }
        }.joined()
    }

    /// `renderLeniently` through a whole value: every string in it, maps and lists kept.
    public func renderLeniently(_ value: Value) -> Value {
        switch value {
        case .string(let text): return .string(renderLeniently(text))
        case .list(let items): return .list(items.map(renderLeniently))
        case .map(let map): return .map(map.mapValues(renderLeniently))
        default: return value
        }
    }

    /// Substitutes every reference in `value`.
    public func render(_ value: Value) throws(LifeboatError) -> Value {
        switch value {
        case .string(let s):
            let pieces: [Template.Piece]
            do { pieces = try Template.parse(s) } catch { throw LifeboatError(.invalidInput, error.message) }
            if pieces.count == 1, case .reference(let r) = pieces[0] { return try resolve(r).get() }
            var out = ""
            for piece in pieces {
                switch piece {
                case .literal(let text): out += text
                case .reference(let r): out += try resolve(r).get().renderedText
                }
            }
            return .string(out)
        case .list(let l):
            var out: [Value] = []
            for item in l { out.append(try render(item)) }
            return .list(out)
        case .map(let m):
            var out: [String: Value] = [:]
            for (k, v) in m { out[k] = try render(v) }
            return .map(out)
        default:
            return value
        }
    }

    public func render(_ map: [String: Value]) throws(LifeboatError) -> [String: Value] {
        guard case .map(let m) = try render(.map(map)) else { return [:] }
        return m
    }
}

/// Replaces every secret value with `***` in text that may leave the process.
public struct SecretMasker: Sendable {
    private let secrets: [String]

    public init(secrets: some Sequence<String>) {
        // Longest first so that a secret containing another is masked whole; very short values are
        // still masked (a 1-character secret would mask too much, so those are refused at load time).
        self.secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    public static let none = SecretMasker(secrets: [])

    /// This masker with `more` secrets besides.
    public func adding(_ more: [String]) -> SecretMasker {
        more.isEmpty ? self : SecretMasker(secrets: secrets + more)
    }

    public func mask(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacing(secret, with: "***")
        }
        return out
    }

    public func mask(_ value: Value) -> Value {
        guard !secrets.isEmpty else { return value }
        switch value {
        case .string(let s): return .string(mask(s))
        case .list(let l): return .list(l.map(mask))
        case .map(let m): return .map(m.mapValues(mask))
        default: return value
        }
    }
}
