/// A `${...}` reference found in a document, with where it was written and in what context.
struct ReferenceSite: Sendable {
    enum Context: Sendable, Hashable {
        /// In the `with:` of the step at this index.
        case step(Int)
        /// In the `rollback.with:` of the step at this index (the step's own outputs are available).
        case rollback(Int)
        /// In the `with:` of the probe at this index (no step outputs: a probe runs beside the steps).
        case probe(Int)
        /// In a param default (only plan-level scopes make sense there).
        case paramDefault(String)
        /// In a scenario's `with:` in a plan.
        case scenario(String)
    }

    var context: Context
    var reference: Template.Reference
    var location: SourceLocation
}

/// Walks a located value: records field locations by dotted path, collects `${...}` references and
/// reports template syntax errors.
struct TemplateScanner {
    var references: [ReferenceSite] = []
    var diagnostics: [Diagnostic] = []

    /// Scans `node`, whose dotted path is `path`, written at `keyLocation` (its key, or the list
    /// item); records the locations of it and everything inside it in `locations`.
    mutating func scan(
        _ node: YAMLNode, path: String, keyLocation: SourceLocation, context: ReferenceSite.Context,
        locations: inout [String: SourceLocation]
    ) {
        locations[path] = keyLocation
        switch node.content {
        case .scalar(let value):
            guard case .string(let s) = value, s.containsReferenceMarker else { return }
            do {
                for piece in try Template.parse(s) {
                    if case .reference(let r) = piece {
                        references.append(ReferenceSite(context: context, reference: r, location: node.location))
                    }
                }
            } catch {
                diagnostics.append(Diagnostic(
                    node.location, "invalid reference at \(path): \(error.message)",
                    hint: "write ${params.NAME}, ${vars.NAME}, ${secrets.NAME}, ${steps.ID.outputs.KEY} or ${run.id}; $${ writes a literal ${"))
            }
        case .list(let items):
            for (i, item) in items.enumerated() {
                scan(item, path: path + "." + String(i), keyLocation: item.location, context: context,
                    locations: &locations)
            }
        case .map(let entries):
            for entry in entries {
                scan(entry.value, path: path + "." + entry.key, keyLocation: entry.keyLocation, context: context,
                    locations: &locations)
            }
        }
    }
}
