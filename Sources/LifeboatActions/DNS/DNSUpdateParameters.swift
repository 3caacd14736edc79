import Foundation
import LifeboatCore
import LifeboatDNS

/// The `with:` block of a `dns.update` step, checked: the zone, its RRset changes (the flat
/// one-RRset form or `changes:`), prerequisites and the TSIG key.
struct DNSUpdateParameters: DNSStepParameters, Sendable {
    var common: DNSCommonParameters
    var server: DNSServerAddress { common.server }
    var perTry: Duration { common.perTry }
    var tries: Int { common.tries }
    var zone: DNSName
    var changes: [DNSRRsetChange]
    /// Whether the step wrote `changes:` (outputs are then keyed by RRset).
    var usesChangeList: Bool
    var prerequisites: [DNSUpdate.Prerequisite]
    var key: TSIGKey?
    var algorithm: TSIGAlgorithm
    var confirmTimeout: Duration

    /// Preflight tries at most twice: it must not hold a run up long.
    func transportForPreflight(_ context: ActionContext) -> DNSTransport {
        DNSTransport(server: server, timeout: perTry, tries: min(tries, 2), context: context)
    }

    /// "db.example.test. A" for one change, "2 RRsets (db.example.test. A, db.example.test. CNAME)" for several.
    var subject: String {
        changes.count == 1 ? changes[0].label : "\(changes.count) RRsets (" + changes.map(\.label).joined(separator: ", ") + ")"
    }

    static func read(_ r: DNSParameterReader) throws(DNSParameterProblem) -> DNSUpdateParameters? {
        let common = try DNSCommonParameters.read(r)
        var zone: DNSName?
        if let zoneText = try r.requiredString("zone") {
            do { zone = try DNSName(zoneText) } catch { throw r.problem("zone", "is not a domain name: \(error)") }
        }
        let changes = try readChanges(r, zone: zone)
        var prerequisites: [DNSUpdate.Prerequisite]? = []
        for (i, item) in (try r.stringList("prerequisites") ?? []).enumerated() {
            guard let text = item, let p = try prerequisite(text, zone: zone, r, item: i) else { prerequisites = nil; continue }
            prerequisites?.append(p)
        }
        var algorithm: TSIGAlgorithm? = .hmacSHA256
        if let algorithmText = try r.string("algorithm") {
            guard let alg = TSIGAlgorithm(name: algorithmText) else {
                throw r.problem("algorithm", "must be hmac-sha256, hmac-sha512 or hmac-sha1 (not '\(algorithmText)')")
            }
            algorithm = alg
        } else if r.deferred("algorithm") {
            algorithm = nil
        }
        let key = try readKey(r, algorithm: algorithm)
        let confirmMs = try r.durationMs("confirm_timeout") ?? 10_000
        guard let common, let zone, let changes, let prerequisites, let algorithm, let key else { return nil }
        return DNSUpdateParameters(
            common: common, zone: zone, changes: changes, usesChangeList: r.has("changes"), prerequisites: prerequisites,
            key: key.key, algorithm: algorithm, confirmTimeout: .milliseconds(confirmMs))
    }

    /// `changes:`, or the flat one-RRset form (`name`, `type`, `records`, `operation`, `ttl`).
    private static func readChanges(_ r: DNSParameterReader, zone: DNSName?) throws(DNSParameterProblem) -> [DNSRRsetChange]? {
        guard r.has("changes") else {
            return try DNSRRsetChange.read(r, zone: zone, defaultTTL: nil).map { [$0] }
        }
        if let flat = ["name", "type", "records", "operation"].first(where: r.has) {
            throw r.problem(flat, "cannot be used with changes: (write it in each change)")
        }
        if r.deferred("changes") { return nil }
        let usage = "must be a list of changes, each {name, type, operation, records, ttl}"
        guard case .list(let items)? = r.values["changes"], !items.isEmpty else { throw r.problem("changes", usage) }
        var out: [DNSRRsetChange]? = []
        for (i, item) in items.enumerated() {
            guard case .map(let fields) = item else { throw r.problem("changes", usage, item: i) }
            let entry = DNSParameterReader(values: fields, path: ["changes", String(i)], deferTemplates: r.deferTemplates)
            try entry.refuseKeys(except: DNSRRsetChange.fields)
            guard let change = try DNSRRsetChange.read(entry, zone: zone, defaultTTL: try r.int("ttl")) else {
                out = nil
                continue
            }
            if let earlier = out?.firstIndex(where: { $0.name == change.name && $0.type == change.type }) {
                throw r.problem("changes", "changes \(earlier) and \(i) both change \(change.label); make them one change", item: i)
            }
            out?.append(change)
        }
        return out
    }

    /// How the update is signed.
    private enum Signing {
        case key(TSIGKey)
        case unsigned

        var key: TSIGKey? {
            if case .key(let k) = self { return k }
            return nil
        }
    }

    /// The key, or unsigned (`insecure: true`); nil when deferred (validate only).
    private static func readKey(_ r: DNSParameterReader, algorithm: TSIGAlgorithm?) throws(DNSParameterProblem) -> Signing? {
        switch (r.has("key_name"), r.has("key_secret")) {
        case (true, true):
            var name: DNSName?
            if let n = try r.string("key_name") {
                do { name = try DNSName(n) } catch { throw r.problem("key_name", "is not a key name: \(error)") }
            }
            var secret: Data?
            if let s = try r.string("key_secret") {
                // tsig-keygen prints the secret as base64; never echo it.
                guard let decoded = Data(base64Encoded: s.trimmingCharacters(in: .whitespacesAndNewlines)), !decoded.isEmpty else {
                    throw r.problem("key_secret", "is not base64 (use the secret \"…\" value tsig-keygen printed)")
                }
                secret = decoded
            }
            guard let name, let secret, let algorithm else { return nil }
            return .key(TSIGKey(name: name, algorithm: algorithm, secret: Array(secret)))
        case (false, false):
            if r.deferred("insecure") { return nil }
            guard try r.bool("insecure") == true else {
                throw r.problem(
                    "key_name", "and key_secret are missing: updates are signed with TSIG (set insecure: true to send an unsigned update on purpose)")
            }
            return .unsigned
        case (false, true): throw r.problem("key_name", "is required with key_secret")
        case (true, false): throw r.problem("key_secret", "is required with key_name (e.g. \"${secrets.tsig}\")")
        }
    }

    /// nsupdate's forms: `yxdomain NAME`, `nxdomain NAME`, `yxrrset NAME TYPE [RDATA]`, `nxrrset NAME TYPE`.
    /// Nil when the zone is deferred (validate only).
    static func prerequisite(_ text: String, zone: DNSName?, _ r: DNSParameterReader, item: Int) throws(DNSParameterProblem) -> DNSUpdate.Prerequisite? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let usage = r.problem(
            "prerequisites", "has '\(text)'; write yxdomain NAME, nxdomain NAME, yxrrset NAME TYPE [RDATA] or nxrrset NAME TYPE", item: item)
        guard fields.count >= 2 else { throw usage }
        let kind = fields[0].lowercased()
        let type = fields.count >= 3 ? RRType(fields[2]) : nil
        switch kind {
        case "yxdomain", "nxdomain": guard fields.count == 2 else { throw usage }
        case "nxrrset": guard fields.count == 3, type != nil else { throw usage }
        case "yxrrset": guard type != nil else { throw usage }
        default: throw usage
        }
        let owner = try DNSRRsetChange.ownerName(fields[1], zone: zone, key: "prerequisites", item: item, r)
        var rdata: RData?
        if let type, kind == "yxrrset", fields.count > 3 {
            do { rdata = try RData(parsing: fields[3...].joined(separator: " "), type: type) } catch {
                throw r.problem("prerequisites", "has '\(text)': \(error)", item: item)
            }
        }
        guard let owner else { return nil }
        switch (kind, type) {
        case ("yxdomain", _): return .nameInUse(owner)
        case ("nxdomain", _): return .nameNotInUse(owner)
        case ("nxrrset", let t?): return .rrsetDoesNotExist(owner, t)
        case (_, let t?): return rdata.map { .rrsetEquals(owner, t, [$0]) } ?? .rrsetExists(owner, t)
        default: throw usage
        }
    }

    /// Whether the server's current RRsets (one per change, in order) are what the step asks for.
    func isInPlace(_ current: [[RData]]) -> Bool {
        zip(changes, current).allSatisfy { $0.isInPlace($1) }
    }

    /// The UPDATE that makes it so: every change in one message, applied all or nothing.
    func update(id: UInt16) -> DNSUpdate {
        DNSUpdate(id: id, zone: zone, prerequisites: prerequisites, operations: changes.flatMap(\.operations))
    }
}

/// `server`, `timeout` and `tries`, shared by `dns.update` and `dns.check`.
struct DNSCommonParameters: Sendable {
    var server: DNSServerAddress
    var perTry: Duration
    var tries: Int

    /// Nil when the server is deferred (validate only).
    static func read(_ r: DNSParameterReader) throws(DNSParameterProblem) -> DNSCommonParameters? {
        var server: DNSServerAddress?
        if let serverText = try r.requiredString("server") {
            guard let s = DNSServerAddress(serverText) else {
                throw r.problem("server", "must be host:port, e.g. 127.0.0.1:53 or [::1]:5353 (not '\(serverText)')")
            }
            server = s
        }
        let ms = try r.durationMs("timeout") ?? 2_000
        guard ms > 0 else { throw r.problem("timeout", "must be more than 0") }
        let tries = try r.int("tries") ?? 3
        guard (1...10).contains(tries) else { throw r.problem("tries", "must be 1 to 10") }
        return server.map { DNSCommonParameters(server: $0, perTry: .milliseconds(ms), tries: tries) }
    }

    func transport(_ context: ActionContext) -> DNSTransport {
        DNSTransport(server: server, timeout: perTry, tries: tries, context: context)
    }
}
