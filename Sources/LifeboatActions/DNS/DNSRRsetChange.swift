import LifeboatCore
import LifeboatDNS

/// One RRset change of a `dns.update` step: the flat form (`name`, `type`, `records`, …) or one
/// entry of `changes:`. Several go into one UPDATE, which the server applies all or nothing.
struct DNSRRsetChange: Sendable, Hashable {
    enum Operation: String, Sendable, CaseIterable {
        /// The RRset becomes exactly `records` (delete RRset + add, in one UPDATE).
        case replace
        /// `records` are added to the RRset.
        case add
        /// `records` are removed from the RRset; without records, the whole RRset (every RRset of
        /// the name for type ANY).
        case delete
    }

    static let fields = ["name", "type", "operation", "records", "ttl"]

    var name: DNSName
    var type: RRType
    var operation: Operation
    var records: [RData]
    var ttl: UInt32

    /// `db.example.test. A`, for messages.
    var label: String { "\(name) \(type)" }

    /// Reads one change; nil when something it needs is deferred to run time (validate only).
    /// `zone` nil: the zone is deferred, so names are checked for syntax only.
    static func read(_ r: DNSParameterReader, zone: DNSName?, defaultTTL: Int?) throws(DNSParameterProblem) -> DNSRRsetChange? {
        let nameText = try r.requiredString("name")
        var name: DNSName?
        if let nameText { name = try ownerName(nameText, zone: zone, key: "name", r) }
        let typeText = try r.requiredString("type")
        var type: RRType?
        if let typeText {
            guard let t = RRType(typeText), t != .tsig, t != .opt, t != .rrsig else {
                throw r.problem("type", "'\(typeText)' is not a record type (A, AAAA, CNAME, TXT, SRV, NS, or TYPEnn)")
            }
            type = t
        }
        let opText = try r.string("operation") ?? (r.deferred("operation") ? nil : "replace")
        var operation: Operation?
        if let opText {
            guard let op = Operation(rawValue: opText.lowercased()) else {
                throw r.problem("operation", "must be replace, add or delete (not '\(opText)')")
            }
            operation = op
        }
        let texts = try r.stringList("records")
        var records: [RData] = []
        if let type, let texts {
            for (i, item) in texts.enumerated() {
                guard let text = item else { continue }
                do { records.append(try RData(parsing: text, type: type)) } catch {
                    throw r.problem("records", "has '\(text)', not a valid \(type) record: \(error)", item: i)
                }
            }
        }
        if type == .any, let operation, operation != .delete || !(texts ?? []).isEmpty {
            throw r.problem("type", "ANY only deletes every RRset of the name: use operation: delete without records")
        }
        if let operation, operation != .delete, !r.has("records") || texts?.isEmpty == true {
            throw r.problem(
                "records", "is required for operation \(operation.rawValue)" + (operation == .replace ? " (to remove the RRset, use operation: delete)" : ""))
        }
        if type == .cname, let operation, operation != .delete, Set(records).count > 1 {
            throw r.problem("records", "has \(records.count) CNAME targets: a name has at most one CNAME")
        }
        let ttlValue = try r.int("ttl") ?? defaultTTL ?? 300
        guard (0...Int(Int32.max)).contains(ttlValue) else { throw r.problem("ttl", "must be 0 to 2147483647 seconds") }
        guard let name, let type, let operation, texts?.contains(nil) != true, r.has("records") == (texts != nil) else { return nil }
        return DNSRRsetChange(name: name, type: type, operation: operation, records: records, ttl: UInt32(ttlValue))
    }

    /// `@` is the zone; a name ending in `.` or already inside the zone is absolute; anything else
    /// is relative to the zone (`db` → `db.example.test.`). The result must lie in the zone. With
    /// the zone deferred (nil), only the syntax is checked and nil comes back.
    static func ownerName(_ text: String, zone: DNSName?, key: String, item: Int? = nil, _ r: DNSParameterReader) throws(DNSParameterProblem) -> DNSName? {
        let parsed: DNSName
        do { parsed = try text == "@" ? DNSName.root : DNSName(text) } catch {
            throw r.problem(key, "is not a domain name: \(error)", item: item)
        }
        guard let zone else { return nil }
        let result: DNSName
        if text == "@" {
            result = zone
        } else if text.hasSuffix(".") || parsed.isSubdomain(of: zone) {
            result = parsed
        } else {
            do { result = try DNSName(labels: parsed.labels + zone.labels) } catch { throw r.problem(key, "is not a domain name: \(error)", item: item) }
        }
        guard result.isSubdomain(of: zone) else { throw r.problem(key, "'\(result)' is not in zone \(zone)", item: item) }
        return result
    }

    /// Whether the server's current records already are what this change asks for.
    func isInPlace(_ current: [RData]) -> Bool {
        let now = Set(current)
        let wanted = Set(records)
        switch operation {
        case .replace: return now == wanted
        case .add: return wanted.isSubset(of: now)
        case .delete: return records.isEmpty ? now.isEmpty : wanted.isDisjoint(with: now)
        }
    }

    /// The UPDATE operations that make it so.
    var operations: [DNSUpdate.Operation] {
        switch operation {
        case .replace:
            return [.deleteRRset(name: name, type: type)] + records.map { .add(name: name, type: type, ttl: ttl, rdata: $0) }
        case .add:
            return records.map { .add(name: name, type: type, ttl: ttl, rdata: $0) }
        case .delete:
            if records.isEmpty { return [type == .any ? .deleteName(name) : .deleteRRset(name: name, type: type)] }
            return records.map { .deleteRR(name: name, type: type, rdata: $0) }
        }
    }
}
