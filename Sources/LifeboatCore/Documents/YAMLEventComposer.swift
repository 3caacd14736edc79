// libyaml's C module, built as part of Yams (a package's C targets are visible to the Swift targets
// that depend on it through its product).
import CYaml

/// Builds located nodes straight from libyaml's events, for the YAML that plans and runbooks are
/// nearly always written in: untagged scalars, sequences and mappings of string keys.
///
/// Anything else — a syntax error, an anchor or alias, a tag, a merge key, a key that is not a
/// scalar, a key written twice, a second document — makes it give up, and `YAMLDocument` composes
/// the text with Yams as before. So errors and the rarer YAML features have one behaviour, and
/// this path only has to agree with Yams on the documents it accepts (`YAMLEventComposerTests`
/// checks that it does). It exists for speed: on a 2,000-step runbook, Yams' composer spends most
/// of its time checking each mapping's keys for duplicates as hashed nodes and decoding every
/// scalar through Foundation, and the conversion of its nodes afterwards costs as much again.
enum YAMLEventComposer {
    enum Outcome {
        /// The document's root; nil for a stream with no document.
        case document(YAMLNode?)
        /// The text needs Yams' full composer (or has an error it will report).
        case needsFullComposer
    }

    static func compose(_ text: String, file: String) -> Outcome {
        var text = text
        return text.withUTF8 { bytes in
            guard let start = bytes.baseAddress else { return .needsFullComposer }
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return .needsFullComposer }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, start, bytes.count)
            return withUnsafeMutablePointer(to: &parser) { parser in
                do throws(GiveUp) {
                    return .document(try EventReader(parser: parser, file: file).stream())
                } catch {
                    return .needsFullComposer
                }
            }
        }
    }
}

private struct GiveUp: Error {}

private struct EventReader {
    let parser: UnsafeMutablePointer<yaml_parser_t>
    let file: String

    /// The root of the stream's one document, or nil when the stream has none.
    func stream() throws(GiveUp) -> YAMLNode? {
        try expect(YAML_STREAM_START_EVENT)
        var event = try next()
        if event.type == YAML_STREAM_END_EVENT {
            yaml_event_delete(&event)
            return nil
        }
        guard event.type == YAML_DOCUMENT_START_EVENT else {
            yaml_event_delete(&event)
            throw GiveUp()
        }
        yaml_event_delete(&event)
        var first = try next()
        let root = try node(&first)
        try expect(YAML_DOCUMENT_END_EVENT)
        try expect(YAML_STREAM_END_EVENT)
        return root
    }

    private func next() throws(GiveUp) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw GiveUp() }
        return event
    }

    private func expect(_ type: yaml_event_type_t) throws(GiveUp) {
        var event = try next()
        defer { yaml_event_delete(&event) }
        guard event.type == type else { throw GiveUp() }
    }

    /// Yams' marks: libyaml counts from 0, Yams and Lifeboat from 1.
    private func location(_ event: yaml_event_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    }

    /// The node `event` starts; the event is deleted here.
    private func node(_ event: inout yaml_event_t) throws(GiveUp) -> YAMLNode {
        defer { yaml_event_delete(&event) }
        let location = location(event)
        switch event.type {
        case YAML_SCALAR_EVENT:
            let (text, plain) = try scalar(event)
            // Typed as `ScalarResolver` types Yams' untagged scalars: a plain one by the YAML 1.1
            // rules, a quoted or block one (libyaml's implicit `str` tag) as a string.
            return YAMLNode(content: .scalar(plain ? ScalarResolver.resolvePlain(text) : .string(text)), location: location)
        case YAML_SEQUENCE_START_EVENT:
            guard event.data.sequence_start.anchor == nil, event.data.sequence_start.tag == nil else { throw GiveUp() }
            var items: [YAMLNode] = []
            while true {
                var item = try next()
                if item.type == YAML_SEQUENCE_END_EVENT {
                    yaml_event_delete(&item)
                    break
                }
                items.append(try node(&item))
            }
            return YAMLNode(content: .list(items), location: location)
        case YAML_MAPPING_START_EVENT:
            guard event.data.mapping_start.anchor == nil, event.data.mapping_start.tag == nil else { throw GiveUp() }
            var entries: [YAMLEntry] = []
            var keys: Set<String> = []
            while true {
                var keyEvent = try next()
                defer { yaml_event_delete(&keyEvent) }
                if keyEvent.type == YAML_MAPPING_END_EVENT { break }
                guard keyEvent.type == YAML_SCALAR_EVENT else { throw GiveUp() }
                let (key, _) = try scalar(keyEvent)
                // A merge key, or a key written twice (Swift's string equality is at least as wide
                // as Yams' node equality, so Yams decides every case it could call a duplicate).
                guard key != "<<", keys.insert(key).inserted else { throw GiveUp() }
                var value = try next()
                entries.append(YAMLEntry(key: key, keyLocation: self.location(keyEvent), value: try node(&value)))
            }
            return YAMLNode(content: .map(entries), location: location)
        default:
            // An alias, or an event out of place.
            throw GiveUp()
        }
    }

    /// An untagged scalar's text, and whether it is plain (unquoted).
    private func scalar(_ event: yaml_event_t) throws(GiveUp) -> (String, plain: Bool) {
        let scalar = event.data.scalar
        guard scalar.anchor == nil, scalar.tag == nil else { throw GiveUp() }
        let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
        return (text, scalar.style == YAML_PLAIN_SCALAR_STYLE)
    }
}
