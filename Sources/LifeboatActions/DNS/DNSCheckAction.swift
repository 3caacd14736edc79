import LifeboatCore
import LifeboatDNS

/// `dns.check`: ask a server for one name and type, and compare the answer with `expect`.
///
/// The comparison is set equality of RDATA (names compare case-insensitively; order, TTLs and
/// duplicates do not matter); `expect: []` means "no records". Without `expect` the step only
/// reports the answer. NXDOMAIN is an empty answer. Outputs: `answer` (presentation form),
/// `rcode`, `latency_ms`, `over_tcp`. Read-only, so idempotent.
public struct DNSCheckAction: ActionHandler {
    public init() {}

    public var spec: ActionSpec {
        ActionSpec(
            name: "dns.check",
            summary: "Resolve a name at a server and compare the records with the expected ones",
            parameters: [
                ActionParameter("server", .string, required: true, "server to ask, host:port (port 53 when omitted)"),
                ActionParameter("name", .string, required: true, "name to look up: absolute (db.example.test.), or relative to zone: (db; @ for the apex)"),
                ActionParameter("zone", .string, "the zone a relative name is in, e.g. example.test."),
                ActionParameter("type", .string, "record type (default A)"),
                ActionParameter("expect", .stringList, "the records the answer must hold, as a set, in presentation form; [] for none"),
                ActionParameter("timeout", .duration, "per-try timeout (default 2s)"),
                ActionParameter("tries", .int, "tries before giving up (default 3)"),
            ],
            idempotent: true,
            hasVerify: false,
            check: { Parameters.problems($0) })
    }

    public func endpoint(for context: ActionContext) -> String? {
        guard let text = try? context.string("server"), let server = DNSServerAddress(text) else { return nil }
        return "dns://\(server)"
    }

    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        let p = try Parameters(context)
        return .ok("will ask \(p.common.server) for \(p.name) \(p.type)")
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        let p = try Parameters(context)
        let client = DNSServerClient(transport: p.common.transport(context))
        let c = DNSFailure.Context(
            server: p.common.server, what: "query \(p.name) \(p.type)", perTry: p.common.perTry, tries: p.common.tries)
        let clock = ContinuousClock()
        let start = clock.now
        let answer: DNSMessage
        let overTCP: Bool
        do { (answer, overTCP) = try await client.ask(p.name, p.type) } catch { throw DNSFailure.transport(error, c) }
        let latencyMs = (clock.now - start).milliseconds
        if let error = DNSFailure.query(answer, c) { throw error }
        let records = DNSServerClient.records(in: answer, p.name, p.type).map(\.rdata)
        let shown = DNSUpdateAction.list(records)
        if let expect = p.expect, Set(expect) != Set(records) {
            let missing = Set(expect).subtracting(records).map(\.presentation).sorted()
            let extra = Set(records).subtracting(expect).map(\.presentation).sorted()
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing " + missing.joined(separator: ", ")) }
            if !extra.isEmpty { parts.append("unexpected " + extra.joined(separator: ", ")) }
            throw LifeboatError(
                .actionFailed,
                "\(p.common.server) answers \(p.name) \(p.type) with \(shown), expected \(DNSUpdateAction.list(expect)) (\(parts.joined(separator: "; ")))",
                hint: "the change has not reached this server yet, or was never made; look at the zone's primary", retryable: true)
        }
        return ActionResult(
            outputs: [
                "answer": .list(DNSUpdateAction.texts(records).map { .string($0) }),
                "rcode": .string(answer.rcode.description),
                "latency_ms": .int(Int(latencyMs)),
                "over_tcp": .bool(overTCP),
            ],
            summary: "\(p.common.server): \(p.name) \(p.type) → \(shown) in \(DurationText.format(milliseconds: latencyMs))")
    }

    struct Parameters: DNSStepParameters {
        var common: DNSCommonParameters
        var name: DNSName
        var type: RRType
        var expect: [RData]?

        static func read(_ r: DNSParameterReader) throws(DNSParameterProblem) -> Parameters? {
            let common = try DNSCommonParameters.read(r)
            var zone: DNSName?
            if let zoneText = try r.string("zone") {
                do { zone = try DNSName(zoneText) } catch { throw r.problem("zone", "is not a domain name: \(error)") }
            }
            var name: DNSName?
            if let nameText = try r.requiredString("name") {
                if r.has("zone") {
                    name = try DNSRRsetChange.ownerName(nameText, zone: zone, key: "name", r)
                } else {
                    // Without a zone, a one-label name such as `www` can only be a mistake for a
                    // relative one (dig would ask for `www.`); `db.example.test` is absolute.
                    do { name = try DNSName(nameText) } catch { throw r.problem("name", "is not a domain name: \(error)") }
                    if nameText != ".", !nameText.hasSuffix("."), name?.labels.count == 1 {
                        throw r.problem("name", "'\(nameText)' is relative: give zone: (the zone it is in), or write the absolute name ending in a dot")
                    }
                }
            }
            var type: RRType? = .a
            if let typeText = try r.string("type") {
                guard let t = RRType(typeText), t != .tsig, t != .opt else {
                    throw r.problem("type", "'\(typeText)' is not a record type (A, AAAA, CNAME, TXT, SRV, NS, SOA, or TYPEnn)")
                }
                type = t
            } else if r.deferred("type") {
                type = nil
            }
            var expect: [RData]?
            if let texts = try r.stringList("expect"), let type {
                var parsed: [RData] = []
                for (i, item) in texts.enumerated() {
                    guard let text = item else { continue }
                    do { parsed.append(try RData(parsing: text, type: type)) } catch {
                        throw r.problem("expect", "has '\(text)', not a valid \(type) record: \(error)", item: i)
                    }
                }
                expect = parsed
            }
            guard let common, let name, let type else { return nil }
            return Parameters(common: common, name: name, type: type, expect: expect)
        }
    }
}
