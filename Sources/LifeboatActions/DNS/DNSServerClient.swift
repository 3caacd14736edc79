import Foundation
import LifeboatDNS

/// Queries and signed updates against one DNS server, over `DNSTransport`.
struct DNSServerClient: Sendable {
    var transport: DNSTransport
    /// Seconds since the epoch, for TSIG's time signed (tests skew it to provoke BADTIME).
    var now: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970) }

    var server: DNSServerAddress { transport.server }

    /// One query (RD off: Lifeboat asks authoritative servers), and whether the answer came
    /// over TCP. Throws `DNSTransportError`.
    func ask(_ name: DNSName, _ type: RRType) async throws -> (answer: DNSMessage, overTCP: Bool) {
        let id = UInt16.random(in: 0...UInt16.max)
        let message = DNSMessage(header: DNSHeader(id: id), questions: [DNSQuestion(name: name, type: type)])
        let (bytes, overTCP) = try await transport.exchange(message.encode())
        do {
            return (try DNSMessage.decode(bytes), overTCP)
        } catch {
            throw DNSTransportError.malformed(error)
        }
    }

    /// The answer's records of `type` (every type, for ANY) owned by `name`.
    ///
    /// A delegation's NS set is not in the answer section: the parent answers a query for the
    /// cut's NS with a referral (AA off, the NS records in the authority section, RFC 1034 §4.3.2),
    /// as BIND, Knot and PowerDNS do. Those are the NS records of `name` when `name` is the cut.
    static func records(in answer: DNSMessage, _ name: DNSName, _ type: RRType) -> [ResourceRecord] {
        let found = answer.answers.filter { $0.name == name && (type == .any || $0.type == type) && $0.type != .rrsig }
        guard found.isEmpty, type == .ns, answer.rcode == .noError, !answer.header.authoritative else { return found }
        return answer.authorities.filter { $0.name == name && $0.type == .ns }
    }

    /// The zone's SOA as the server answers it, or nil when it has none in its answer.
    static func soa(in answer: DNSMessage, zone: DNSName) -> SOAData? {
        for record in answer.answers where record.name == zone {
            if case .soa(let data) = record.rdata { return data }
        }
        return nil
    }

    /// What the server said to an UPDATE.
    struct UpdateAnswer: Sendable {
        var rcode: DNSRCode
        /// Nil for an unsigned update.
        var tsig: TSIGVerification?
    }

    /// Sends an UPDATE, signed when `key` is given, and checks the answer's TSIG.
    func update(_ update: DNSUpdate, key: TSIGKey?) async throws -> UpdateAnswer {
        let message = update.message
        let bytes: [UInt8]
        let requestMAC: [UInt8]
        if let key {
            (bytes, requestMAC) = TSIG.sign(message, key: key, timeSigned: now())
        } else {
            (bytes, requestMAC) = (message.encode(), [])
        }
        let (answerBytes, _) = try await transport.exchange(bytes)
        do {
            let answer = try DNSMessage.decode(answerBytes)
            guard let key else { return UpdateAnswer(rcode: answer.rcode, tsig: nil) }
            let verification = try TSIG.verify(
                response: answerBytes, requestMAC: requestMAC, key: key, now: UInt64(Date().timeIntervalSince1970))
            return UpdateAnswer(rcode: answer.rcode, tsig: verification)
        } catch {
            throw DNSTransportError.malformed(error)
        }
    }
}
