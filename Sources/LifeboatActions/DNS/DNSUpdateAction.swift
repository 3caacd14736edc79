import LifeboatCore
import LifeboatDNS

/// `dns.update`: an RFC 2136 UPDATE of one RRset, signed with TSIG (RFC 8945), confirmed by query.
///
/// Preflight (read-only): the server answers the zone's SOA authoritatively. Run: read the RRset
/// and the SOA serial, send the UPDATE (replace = delete RRset + add, in one message; add; delete),
/// check the answer's RCODE and TSIG, then query until the RRset shows the change (up to
/// `confirm_timeout`). Outputs: `before`, `after` (RDATA in presentation form), `serial_before`,
/// `serial_after`, `signed`.
///
/// Not idempotent as a step: a blind re-run after a crash would report the already-changed RRset
/// as `before`, and prerequisites make a second UPDATE fail. `verify` decides instead: the RRset
/// already shows the desired records → done.
public struct DNSUpdateAction: ActionHandler {
    public init() {}

    public var spec: ActionSpec {
        ActionSpec(
            name: "dns.update",
            summary: "Change one RRset with an RFC 2136 UPDATE signed with TSIG, then confirm it by query",
            parameters: [
                ActionParameter("server", .string, required: true, "the zone's primary server, host:port (port 53 when omitted)"),
                ActionParameter("zone", .string, required: true, "the zone to update, e.g. example.test."),
                ActionParameter("name", .string, required: true, "owner name: absolute (ends in .), inside the zone, or relative to it; @ for the apex"),
                ActionParameter("type", .string, required: true, "record type: A, AAAA, CNAME, TXT, SRV, NS (others as TYPEnn with \\# RDATA); ANY to delete a whole name"),
                ActionParameter("records", .stringList, "RDATA in presentation form, e.g. [\"10.0.0.7\"]; required for replace and add"),
                ActionParameter("ttl", .int, "TTL of added records in seconds (default 300)"),
                ActionParameter("operation", .string, "replace (default): the RRset becomes records; add; delete (records, or the whole RRset)"),
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
            hasVerify: true)
    }

    public func endpoint(for request: ActionRequest) -> String? {
        guard let text = try? request.string("server"), let server = DNSServerAddress(text) else { return nil }
        return "dns://\(server)"
    }

    public func preflight(_ request: ActionRequest) async throws -> PreflightReport {
        let p = try DNSUpdateParameters(request)
        let client = DNSServerClient(transport: p.transportForPreflight)
        let c = context(request, p, "SOA query for zone \(p.zone)")
        do {
            let (answer, _) = try await client.ask(p.zone, .soa)
            if let error = DNSFailure.query(answer, c) { return .refused(error.description) }
            guard answer.header.authoritative, let soa = DNSServerClient.soa(in: answer, zone: p.zone) else {
                return .refused(
                    "step '\(request.stepID)': \(p.server) is not authoritative for zone \(p.zone) (no SOA in its answer); point server: at the zone's primary or fix zone:")
            }
            let signing = p.key.map { "signed with key \($0.name) (\(p.algorithm.rawValue))" } ?? "unsigned (insecure: true)"
            return .ok("\(p.server) serves zone \(p.zone) (serial \(soa.serial)); update of \(p.name) \(p.type) will be \(signing)")
        } catch {
            let e = DNSFailure.transport(error, c)
            if e.code == .cancelled { throw e }
            return .refused(e.description)
        }
    }

    public func run(_ request: ActionRequest) async throws -> ActionResult {
        let p = try DNSUpdateParameters(request)
        let client = DNSServerClient(transport: p.common.transport)
        let before = try await read(client, p, request)
        let serialBefore = try await serial(client, p, request)

        let c = context(request, p, "update of \(p.name) \(p.type) in zone \(p.zone)")
        if let answer = try await send(p, request, client: client, c) {
            if let error = DNSFailure.update(answer, zone: p.zone, name: p.name, keyName: p.key?.name, algorithm: p.algorithm, c) {
                throw error
            }
        }

        // Confirm by query: the primary shows the change at once; the loop covers a server that
        // applies updates asynchronously.
        let clock = ContinuousClock()
        let deadline = clock.now + p.confirmTimeout
        var after = try await read(client, p, request)
        while !p.isInPlace(after), clock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            after = try await read(client, p, request)
        }
        guard p.isInPlace(after) else {
            throw LifeboatError(
                .actionFailed,
                "step '\(request.stepID)': \(p.server) accepted the update, but \(p.name) \(p.type) still shows \(Self.list(after)) after \(DurationText.format(milliseconds: p.confirmTimeout.milliseconds))",
                hint: "is server: the zone's primary? check the server's log", retryable: true)
        }
        let serialAfter = try await serial(client, p, request)
        let outputs: [String: Value] = [
            "before": .list(Self.texts(before).map { .string($0) }),
            "after": .list(Self.texts(after).map { .string($0) }),
            "serial_before": serialBefore.map { .int(Int($0)) } ?? .null,
            "serial_after": serialAfter.map { .int(Int($0)) } ?? .null,
            "signed": .bool(p.key != nil),
        ]
        let serials = "serial \(serialBefore.map(String.init) ?? "?") → \(serialAfter.map(String.init) ?? "?")"
        return ActionResult(
            outputs: outputs,
            summary: request.masker.mask("\(p.name) \(p.type): \(Self.list(before)) → \(Self.list(after)) (\(serials))"))
    }

    public func verify(_ request: ActionRequest) async throws -> VerifyOutcome {
        let p = try DNSUpdateParameters(request)
        let client = DNSServerClient(transport: p.common.transport)
        do {
            let current = try await read(client, p, request)
            guard p.isInPlace(current) else {
                return .notDone("\(p.name) \(p.type) shows \(Self.list(current)), not yet what the step asks for (\(p.operation.rawValue) \(Self.list(p.records)))")
            }
            let serialNow = try await serial(client, p, request)
            let outputs: [String: Value] = [
                // What was there before the update was lost with the crash.
                "before": .null,
                "after": .list(Self.texts(current).map { .string($0) }),
                "serial_before": .null,
                "serial_after": serialNow.map { .int(Int($0)) } ?? .null,
                "signed": .bool(p.key != nil),
            ]
            return .done(
                ActionResult(
                    outputs: outputs,
                    summary: request.masker.mask("\(p.name) \(p.type) already shows \(Self.list(current)) (serial \(serialNow.map(String.init) ?? "?")); verified after a resume")))
        } catch {
            let e = LifeboatError.wrap(error, code: .actionFailed, context: "step '\(request.stepID)'")
            if e.code == .cancelled { throw e }
            return .undecidable("cannot tell whether the update happened: \(e.message)")
        }
    }

    // MARK: Helpers

    /// Sends the UPDATE, one try at a time. After a timeout the update may have been applied and
    /// only its answer lost, so the RRset is read before sending again: already in place → nil
    /// (no second UPDATE; a prerequisite would fail on it). Each try is signed afresh.
    private func send(
        _ p: DNSUpdateParameters, _ request: ActionRequest, client: DNSServerClient, _ c: DNSFailure.Context
    ) async throws -> DNSServerClient.UpdateAnswer? {
        var single = client
        single.transport.tries = 1
        for attempt in 1...p.tries {
            do {
                return try await single.update(p.update(id: UInt16.random(in: 0...UInt16.max)), key: p.key)
            } catch DNSTransportError.timeout(_) {
                guard attempt < p.tries else { break }
                if let current = try? await read(client, p, request), p.isInPlace(current) { return nil }
                do { try await Task.sleep(for: .milliseconds(Int.random(in: 0...min(1_000, 100 << attempt)))) } catch {
                    throw DNSFailure.transport(error, c)
                }
            } catch {
                throw DNSFailure.transport(error, c)
            }
        }
        throw DNSFailure.transport(DNSTransportError.timeout(tries: p.tries), c)
    }

    /// The RDATAs of the step's RRset at the server now.
    private func read(_ client: DNSServerClient, _ p: DNSUpdateParameters, _ request: ActionRequest) async throws -> [RData] {
        let c = context(request, p, "query \(p.name) \(p.type)")
        let answer: DNSMessage
        do { (answer, _) = try await client.ask(p.name, p.type) } catch { throw DNSFailure.transport(error, c) }
        if let error = DNSFailure.query(answer, c) { throw error }
        return DNSServerClient.records(in: answer, p.name, p.type).map(\.rdata)
    }

    /// The zone's SOA serial, or nil when the answer has no SOA.
    private func serial(_ client: DNSServerClient, _ p: DNSUpdateParameters, _ request: ActionRequest) async throws -> UInt32? {
        let c = context(request, p, "SOA query for zone \(p.zone)")
        let answer: DNSMessage
        do { (answer, _) = try await client.ask(p.zone, .soa) } catch { throw DNSFailure.transport(error, c) }
        if let error = DNSFailure.query(answer, c) { throw error }
        return DNSServerClient.soa(in: answer, zone: p.zone)?.serial
    }

    private func context(_ request: ActionRequest, _ p: DNSUpdateParameters, _ what: String) -> DNSFailure.Context {
        DNSFailure.Context(stepID: request.stepID, server: p.server, what: what, perTry: p.perTry, tries: p.tries)
    }

    /// Presentation forms, sorted, so outputs and messages do not depend on the server's order.
    static func texts(_ records: [RData]) -> [String] { records.map(\.presentation).sorted() }

    static func list(_ records: [RData]) -> String {
        records.isEmpty ? "(none)" : "[" + texts(records).joined(separator: ", ") + "]"
    }
}
