import LifeboatCore
import LifeboatDNS

/// `dns.update`: an RFC 2136 UPDATE of one RRset, or of several at once (`changes:`), signed with
/// TSIG (RFC 8945), confirmed by query.
///
/// Preflight (read-only): the server answers the zone's SOA authoritatively. Run: read each RRset
/// and the SOA serial, send the UPDATE (replace = delete RRset + add; add; delete; every change in
/// one message, which the server applies all or nothing), check the answer's RCODE and TSIG, then
/// query until every RRset shows its change (up to `confirm_timeout`). Outputs: `before`, `after`
/// (RDATA in presentation form: a list for the flat form, a map by "NAME TYPE" for `changes:`),
/// `serial_before`, `serial_after`, `signed`.
///
/// Not idempotent as a step: a blind re-run after a crash would report the already-changed RRset
/// as `before`, and prerequisites make a second UPDATE fail. `verify` decides instead: every RRset
/// already shows its change → done.
public struct DNSUpdateAction: ActionHandler {
    public init() {}

    public var spec: ActionSpec {
        ActionSpec(
            name: "dns.update",
            summary: "Change RRsets with one RFC 2136 UPDATE signed with TSIG, then confirm it by query",
            parameters: [
                ActionParameter("server", .string, required: true, "the zone's primary server, host:port (port 53 when omitted)"),
                ActionParameter("zone", .string, required: true, "the zone to update, e.g. example.test."),
                ActionParameter("name", .string, "owner name: absolute (ends in .), inside the zone, or relative to it; @ for the apex"),
                ActionParameter("type", .string, "record type: A, AAAA, CNAME, TXT, SRV, NS (others as TYPEnn with \\# RDATA); ANY to delete a whole name"),
                ActionParameter("records", .stringList, "RDATA in presentation form, e.g. [\"10.0.0.7\"]; required for replace and add"),
                ActionParameter("ttl", .int, "TTL of added records in seconds (default 300; with changes:, the default of each change)"),
                ActionParameter("operation", .string, "replace (default): the RRset becomes records; add; delete (records, or the whole RRset)"),
                ActionParameter(
                    "changes", .any,
                    "several RRset changes in one atomic UPDATE, each {name, type, operation, records, ttl}; instead of name/type/records/operation"),
                ActionParameter("prerequisites", .stringList, "nsupdate-style conditions: yxdomain NAME, nxdomain NAME, yxrrset NAME TYPE [RDATA], nxrrset NAME TYPE"),
                ActionParameter("key_name", .string, "TSIG key name, as in the server's key statement"),
                ActionParameter("key_secret", .string, "TSIG secret (base64), e.g. \"${secrets.tsig}\""),
                ActionParameter("algorithm", .string, "hmac-sha256 (default), hmac-sha512 or hmac-sha1"),
                ActionParameter("insecure", .bool, "true to send an unsigned update on purpose (without it, a key is required)"),
                ActionParameter("timeout", .duration, "per-try timeout of each query and of the update (default 2s)"),
                ActionParameter("tries", .int, "tries per message before giving up (default 3; retries after a timeout)"),
                ActionParameter("confirm_timeout", .duration, "how long to query for the change after the server accepted it (default 10s)"),
            ],
            idempotent: false,
            hasVerify: true,
            check: { DNSUpdateParameters.problems($0) + LiteralCredentials.wholeValues($0, ["key_secret"]) })
    }

    public func endpoint(for context: ActionContext) -> String? {
        guard let text = try? context.string("server"), let server = DNSServerAddress(text) else { return nil }
        return "dns://\(server)"
    }

    public func preflight(_ context: ActionContext) async throws -> PreflightReport {
        let p = try DNSUpdateParameters(context)
        let client = DNSServerClient(transport: p.transportForPreflight(context))
        let c = failureContext(p, "SOA query for zone \(p.zone)")
        do {
            let (answer, _) = try await client.ask(p.zone, .soa)
            if let error = DNSFailure.query(answer, c) { return .refused(error.description) }
            guard answer.header.authoritative, let soa = DNSServerClient.soa(in: answer, zone: p.zone) else {
                return .refused(
                    "\(p.server) is not authoritative for zone \(p.zone) (no SOA in its answer); point server: at the zone's primary or fix zone:")
            }
            let signing = p.key.map { "signed with key \($0.name) (\(p.algorithm.rawValue))" } ?? "unsigned (insecure: true)"
            return .ok("\(p.server) serves zone \(p.zone) (serial \(soa.serial)); update of \(p.subject) will be \(signing)")
        } catch {
            let e = DNSFailure.transport(error, c)
            if e.code == .cancelled { throw e }
            return .refused(e.description)
        }
    }

    public func run(_ context: ActionContext) async throws -> ActionResult {
        let p = try DNSUpdateParameters(context)
        let client = DNSServerClient(transport: p.common.transport(context))
        let before = try await read(client, p)
        // From here on the server has answered: a timeout is not "the server is down".
        let serialBefore = try await serial(client, p, answered: true)

        let c = failureContext(p, "update of \(p.subject) in zone \(p.zone)", answered: true)
        if let answer = try await send(p, context, client: client, c) {
            let addsCNAME = p.changes.contains { $0.type == .cname && $0.operation != .delete }
            if let error = DNSFailure.update(
                answer, zone: p.zone, changed: p.subject, addsCNAME: addsCNAME, keyName: p.key?.name, algorithm: p.algorithm, c)
            {
                throw error
            }
        }

        // Confirm by query: the primary shows the change at once; polling covers a server that
        // applies updates asynchronously.
        let after = try await context.poll(every: .milliseconds(200), until: context.deadline(after: p.confirmTimeout)) { _ in
            try await read(client, p, answered: true)
        } isDone: {
            p.isInPlace($0)
        }.last
        if let pending = zip(p.changes, after).first(where: { !$0.isInPlace($1) }) {
            let (change, shown) = pending
            let ignoredCNAME = change.type == .cname && change.operation != .delete
            throw LifeboatError(
                .actionFailed,
                "\(p.server) accepted the update, but \(change.label) still shows \(Self.list(shown)) after \(DurationText.format(milliseconds: p.confirmTimeout.milliseconds))",
                hint: ignoredCNAME
                    ? "BIND and Knot ignore a CNAME added beside other data (RFC 2136 §3.4.2.2): delete the name's other RRsets in the same step (changes:)"
                    : "is server: the zone's primary? check the server's log",
                retryable: !ignoredCNAME)
        }
        let serialAfter = try await serial(client, p, answered: true)
        let outputs: [String: Value] = [
            "before": recordsOutput(p, before),
            "after": recordsOutput(p, after),
            "serial_before": serialBefore.map { .int(Int($0)) } ?? .null,
            "serial_after": serialAfter.map { .int(Int($0)) } ?? .null,
            "signed": .bool(p.key != nil),
        ]
        let serials = "serial \(serialBefore.map(String.init) ?? "?") → \(serialAfter.map(String.init) ?? "?")"
        let changes = zip(p.changes, zip(before, after)).map { "\($0.label): \(Self.list($1.0)) → \(Self.list($1.1))" }
        return ActionResult(outputs: outputs, summary: changes.joined(separator: "; ") + " (\(serials))")
    }

    public func verify(_ context: ActionContext) async throws -> VerifyOutcome {
        let p = try DNSUpdateParameters(context)
        let client = DNSServerClient(transport: p.common.transport(context))
        do {
            let current = try await read(client, p)
            if let pending = zip(p.changes, current).first(where: { !$0.isInPlace($1) }) {
                let (change, shown) = pending
                return .notDone(
                    "\(change.label) shows \(Self.list(shown)), not yet what the step asks for (\(change.operation.rawValue) \(Self.list(change.records)))")
            }
            let serialNow = try await serial(client, p)
            let outputs: [String: Value] = [
                // What was there before the update was lost with the crash.
                "before": .null,
                "after": recordsOutput(p, current),
                "serial_before": .null,
                "serial_after": serialNow.map { .int(Int($0)) } ?? .null,
                "signed": .bool(p.key != nil),
            ]
            let shown = zip(p.changes, current).map { "\($0.label) already shows \(Self.list($1))" }
            return .done(
                ActionResult(
                    outputs: outputs,
                    summary: shown.joined(separator: "; ") + " (serial \(serialNow.map(String.init) ?? "?")); verified after a resume"))
        } catch {
            let e = error as? LifeboatError ?? LifeboatError(.actionFailed, "\(error)")
            if e.code == .cancelled { throw e }
            return .undecidable("cannot tell whether the update happened: \(e.message)")
        }
    }

    // MARK: Helpers

    /// Sends the UPDATE, one try at a time. After a timeout the update may have been applied and
    /// only its answer lost, so the RRsets are read before sending again: already in place → nil
    /// (no second UPDATE; a prerequisite would fail on it). Each try is signed afresh.
    private func send(
        _ p: DNSUpdateParameters, _ context: ActionContext, client: DNSServerClient, _ c: DNSFailure.Context
    ) async throws -> DNSServerClient.UpdateAnswer? {
        var single = client
        single.transport.tries = 1
        var lastTimeout = DNSTransportError.timeout(tries: p.tries, overTCP: false)
        for attempt in 1...p.tries {
            do {
                return try await single.update(p.update(id: UInt16.random(in: 0...UInt16.max)), key: p.key)
            } catch DNSTransportError.timeout(_, let overTCP) {
                lastTimeout = .timeout(tries: p.tries, overTCP: overTCP)
                guard attempt < p.tries else { break }
                if let current = try? await read(client, p, answered: true), p.isInPlace(current) { return nil }
                do { try await context.pause(afterAttempt: attempt, DNSTransport.retryPause) } catch {
                    throw DNSFailure.transport(error, c)
                }
            } catch {
                throw DNSFailure.transport(error, c)
            }
        }
        throw DNSFailure.transport(lastTimeout, c)
    }

    /// The RDATAs of each change's RRset at the server now, in the order of the changes.
    /// `answered`: the server has answered this step before (for the timeout message).
    private func read(
        _ client: DNSServerClient, _ p: DNSUpdateParameters, answered: Bool = false
    ) async throws -> [[RData]] {
        var out: [[RData]] = []
        for (i, change) in p.changes.enumerated() {
            let c = failureContext(p, "query \(change.label)", answered: answered || i > 0)
            let answer: DNSMessage
            do { (answer, _) = try await client.ask(change.name, change.type) } catch { throw DNSFailure.transport(error, c) }
            if let error = DNSFailure.query(answer, c) { throw error }
            out.append(DNSServerClient.records(in: answer, change.name, change.type).map(\.rdata))
        }
        return out
    }

    /// The zone's SOA serial, or nil when the answer has no SOA.
    private func serial(
        _ client: DNSServerClient, _ p: DNSUpdateParameters, answered: Bool = false
    ) async throws -> UInt32? {
        let c = failureContext(p, "SOA query for zone \(p.zone)", answered: answered)
        let answer: DNSMessage
        do { (answer, _) = try await client.ask(p.zone, .soa) } catch { throw DNSFailure.transport(error, c) }
        if let error = DNSFailure.query(answer, c) { throw error }
        return DNSServerClient.soa(in: answer, zone: p.zone)?.serial
    }

    private func failureContext(_ p: DNSUpdateParameters, _ what: String, answered: Bool = false) -> DNSFailure.Context {
        DNSFailure.Context(server: p.server, what: what, perTry: p.perTry, tries: p.tries, serverAnswered: answered)
    }

    /// `before` / `after`: the flat form's one RRset as a list; with `changes:`, a map by "NAME TYPE".
    private func recordsOutput(_ p: DNSUpdateParameters, _ sets: [[RData]]) -> Value {
        let lists = sets.map { Value.list(Self.texts($0).map { .string($0) }) }
        guard p.usesChangeList else { return lists.first ?? .list([]) }
        return .map(Dictionary(zip(p.changes.map(\.label), lists), uniquingKeysWith: { a, _ in a }))
    }

    /// Presentation forms, sorted, so outputs and messages do not depend on the server's order.
    static func texts(_ records: [RData]) -> [String] { records.map(\.presentation).sorted() }

    static func list(_ records: [RData]) -> String {
        records.isEmpty ? "(none)" : "[" + texts(records).joined(separator: ", ") + "]"
    }
}
