import Foundation
import LifeboatCore
import LifeboatDNS

/// The `with:` block of a `dns.update` step, checked.
struct DNSUpdateParameters: Sendable {
    enum Operation: String, Sendable, CaseIterable {
        /// The RRset becomes exactly `records` (delete RRset + add, in one UPDATE).
        case replace
        /// `records` are added to the RRset.
        case add
        /// `records` are removed from the RRset; without records, the whole RRset (every RRset of
        /// the name for type ANY).
        case delete
    }

    var common: DNSCommonParameters
    var server: DNSServerAddress { common.server }
    var perTry: Duration { common.perTry }
    var tries: Int { common.tries }
    var zone: DNSName
    var name: DNSName
    var type: RRType
    var records: [RData]
    var ttl: UInt32
    var operation: Operation
    var prerequisites: [DNSUpdate.Prerequisite]
    var key: TSIGKey?
    var algorithm: TSIGAlgorithm
    var confirmTimeout: Duration

    /// Preflight tries at most twice: it must not hold a run up long.
    var transportForPreflight: DNSTransport { DNSTransport(server: server, timeout: perTry, tries: min(tries, 2)) }

    init(_ request: ActionRequest) throws(LifeboatError) {
        common = try DNSCommonParameters(request)
        let zoneText = try request.requiredString("zone")
        do { zone = try DNSName(zoneText) } catch { throw request.badParameter("zone", "is not a domain name: \(error)") }
        name = try Self.ownerName(try request.requiredString("name"), zone: zone, parameter: "name", request)
        let typeText = try request.requiredString("type")
        guard let t = RRType(typeText), t != .tsig, t != .opt, t != .rrsig else {
            throw request.badParameter("type", "'\(typeText)' is not a record type (A, AAAA, CNAME, TXT, SRV, NS, or TYPEnn)")
        }
        type = t
        let opText = try request.string("operation") ?? "replace"
        guard let op = Operation(rawValue: opText.lowercased()) else {
            throw request.badParameter("operation", "must be replace, add or delete (not '\(opText)')")
        }
        operation = op
        let texts = try request.stringList("records") ?? []
        if type == .any {
            guard op == .delete, texts.isEmpty else {
                throw request.badParameter("type", "ANY only deletes every RRset of the name: use operation: delete without records")
            }
        }
        var parsed: [RData] = []
        for text in texts {
            do { parsed.append(try RData(parsing: text, type: type)) } catch {
                throw request.badParameter("records", "has '\(text)', not a valid \(type) record: \(error)")
            }
        }
        records = parsed
        if op != .delete, records.isEmpty {
            throw request.badParameter("records", "is required for operation \(op.rawValue)" + (op == .replace ? " (to remove the RRset, use operation: delete)" : ""))
        }
        if type == .cname, op != .delete, Set(records).count > 1 {
            throw request.badParameter("records", "has \(records.count) CNAME targets: a name has at most one CNAME")
        }
        let ttlValue = try request.int("ttl") ?? 300
        guard (0...Int(Int32.max)).contains(ttlValue) else { throw request.badParameter("ttl", "must be 0 to 2147483647 seconds") }
        ttl = UInt32(ttlValue)
        var prereqs: [DNSUpdate.Prerequisite] = []
        for text in try request.stringList("prerequisites") ?? [] {
            prereqs.append(try Self.prerequisite(text, zone: zone, request))
        }
        prerequisites = prereqs
        let algorithmText = try request.string("algorithm") ?? "hmac-sha256"
        guard let alg = TSIGAlgorithm(name: algorithmText) else {
            throw request.badParameter("algorithm", "must be hmac-sha256, hmac-sha512 or hmac-sha1 (not '\(algorithmText)')")
        }
        algorithm = alg
        let insecure = try request.bool("insecure") ?? false
        let keyName = try request.string("key_name")
        let keySecret = try request.string("key_secret")
        switch (keyName, keySecret) {
        case (let n?, let s?):
            let keyDNSName: DNSName
            do { keyDNSName = try DNSName(n) } catch { throw request.badParameter("key_name", "is not a key name: \(error)") }
            // tsig-keygen prints the secret as base64; never echo it.
            guard let secret = Data(base64Encoded: s.trimmingCharacters(in: .whitespacesAndNewlines)), !secret.isEmpty else {
                throw request.badParameter("key_secret", "is not base64 (use the secret \"…\" value tsig-keygen printed)")
            }
            key = TSIGKey(name: keyDNSName, algorithm: alg, secret: Array(secret))
        case (nil, nil):
            guard insecure else {
                throw request.badParameter(
                    "key_name", "and key_secret are missing: updates are signed with TSIG (set insecure: true to send an unsigned update on purpose)")
            }
            key = nil
        case (nil, _?): throw request.badParameter("key_name", "is required with key_secret")
        case (_?, nil): throw request.badParameter("key_secret", "is required with key_name (e.g. \"${secrets.tsig}\")")
        }
        confirmTimeout = .milliseconds(try request.durationMs("confirm_timeout") ?? 10_000)
    }

    /// `@` is the zone; a name ending in `.` or already inside the zone is absolute; anything else
    /// is relative to the zone (`db` → `db.example.test.`). The result must lie in the zone.
    static func ownerName(_ text: String, zone: DNSName, parameter: String, _ request: ActionRequest) throws(LifeboatError) -> DNSName {
        let result: DNSName
        do {
            if text == "@" {
                result = zone
            } else {
                let parsed = try DNSName(text)
                result = text.hasSuffix(".") || parsed.isSubdomain(of: zone) ? parsed : try DNSName(labels: parsed.labels + zone.labels)
            }
        } catch {
            throw request.badParameter(parameter, "is not a domain name: \(error)")
        }
        guard result.isSubdomain(of: zone) else {
            throw request.badParameter(parameter, "'\(result)' is not in zone \(zone)")
        }
        return result
    }

    /// nsupdate's forms: `yxdomain NAME`, `nxdomain NAME`, `yxrrset NAME TYPE [RDATA]`, `nxrrset NAME TYPE`.
    static func prerequisite(_ text: String, zone: DNSName, _ request: ActionRequest) throws(LifeboatError) -> DNSUpdate.Prerequisite {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let usage = "has '\(text)'; write yxdomain NAME, nxdomain NAME, yxrrset NAME TYPE [RDATA] or nxrrset NAME TYPE"
        guard fields.count >= 2 else { throw request.badParameter("prerequisites", usage) }
        let owner = try ownerName(fields[1], zone: zone, parameter: "prerequisites", request)
        func rrType() throws(LifeboatError) -> RRType {
            guard fields.count >= 3, let t = RRType(fields[2]) else { throw request.badParameter("prerequisites", usage) }
            return t
        }
        switch fields[0].lowercased() {
        case "yxdomain" where fields.count == 2: return .nameInUse(owner)
        case "nxdomain" where fields.count == 2: return .nameNotInUse(owner)
        case "nxrrset" where fields.count == 3: return .rrsetDoesNotExist(owner, try rrType())
        case "yxrrset" where fields.count == 3: return .rrsetExists(owner, try rrType())
        case "yxrrset":
            let t = try rrType()
            let rdataText = fields[3...].joined(separator: " ")
            do { return .rrsetEquals(owner, t, [try RData(parsing: rdataText, type: t)]) } catch {
                throw request.badParameter("prerequisites", "has '\(text)': \(error)")
            }
        default: throw request.badParameter("prerequisites", usage)
        }
    }

    /// Whether the server's current records already are what this step asks for.
    func isInPlace(_ current: [RData]) -> Bool {
        let now = Set(current)
        let wanted = Set(records)
        switch operation {
        case .replace: return now == wanted
        case .add: return wanted.isSubset(of: now)
        case .delete: return records.isEmpty ? now.isEmpty : wanted.isDisjoint(with: now)
        }
    }

    /// The UPDATE that makes it so.
    func update(id: UInt16) -> DNSUpdate {
        var ops: [DNSUpdate.Operation] = []
        switch operation {
        case .replace:
            ops.append(.deleteRRset(name: name, type: type))
            ops += records.map { .add(name: name, type: type, ttl: ttl, rdata: $0) }
        case .add:
            ops += records.map { .add(name: name, type: type, ttl: ttl, rdata: $0) }
        case .delete:
            if records.isEmpty {
                ops.append(type == .any ? .deleteName(name) : .deleteRRset(name: name, type: type))
            } else {
                ops += records.map { .deleteRR(name: name, type: type, rdata: $0) }
            }
        }
        return DNSUpdate(id: id, zone: zone, prerequisites: prerequisites, operations: ops)
    }
}

/// `server`, `timeout` and `tries`, shared by `dns.update` and `dns.check`.
struct DNSCommonParameters: Sendable {
    var server: DNSServerAddress
    var perTry: Duration
    var tries: Int

    init(_ request: ActionRequest) throws(LifeboatError) {
        let serverText = try request.requiredString("server")
        guard let s = DNSServerAddress(serverText) else {
            throw request.badParameter("server", "must be host:port, e.g. 127.0.0.1:53 or [::1]:5353 (not '\(serverText)')")
        }
        server = s
        let ms = try request.durationMs("timeout") ?? 2_000
        guard ms > 0 else { throw request.badParameter("timeout", "must be more than 0") }
        perTry = .milliseconds(ms)
        let t = try request.int("tries") ?? 3
        guard (1...10).contains(t) else { throw request.badParameter("tries", "must be 1 to 10") }
        tries = t
    }

    var transport: DNSTransport { DNSTransport(server: server, timeout: perTry, tries: tries) }
}
