import LifeboatCore
import LifeboatDNS

/// Turns transport failures, RCODEs and TSIG errors into one-line `LifeboatError`s that name the
/// server and say what to check (the step's context names the step). Timeouts, refused connections and SERVFAIL are
/// retryable; REFUSED, NOTAUTH, TSIG errors (BADTIME too: a skewed clock stays skewed), NOTZONE,
/// FORMERR and failed prerequisites are not (sending the same thing again gets the same answer).
enum DNSFailure {
    /// What the step was doing, for messages: "update of zone example.test.", "query db.example.test. A".
    struct Context {
        var server: DNSServerAddress
        var what: String
        var perTry: Duration
        var tries: Int
        /// The server answered an earlier message of this step: a timeout now is not "the server is down".
        var serverAnswered = false
    }

    static func transport(_ error: any Error, _ c: Context) -> LifeboatError {
        let subject = "\(c.what) at \(c.server)"
        if error is CancellationError { return LifeboatError(.cancelled, "\(subject) was stopped (timeout or abort)") }
        guard let error = error as? DNSTransportError else {
            return LifeboatError.wrap(error, code: .actionFailed, context: subject)
        }
        switch error {
        case .timeout(let tries, let overTCP):
            let tried = "after \(tries) \(tries == 1 ? "try" : "tries") (\(DurationText.format(milliseconds: c.perTry.milliseconds)) each)"
            guard c.serverAnswered else {
                return LifeboatError(
                    .actionFailed, "\(subject): no answer from \(c.server) \(tried)",
                    hint: "is the server up and listening on that address and port (UDP and TCP)?", retryable: true)
            }
            return LifeboatError(
                .actionFailed, "\(subject): \(c.server) answered this step's earlier messages but not this one (over \(overTCP ? "TCP" : "UDP")) \(tried)",
                hint: "check the server's log: does it accept UPDATE from this address, is it overloaded? Messages over 512 bytes go over TCP",
                retryable: true)
        case .connectionRefused:
            return LifeboatError(
                .actionFailed, "\(subject): TCP connection to \(c.server) refused (TCP is needed for a truncated answer or a message over 512 bytes)",
                hint: "let the server listen on TCP too", retryable: true)
        case .unresolvable(let host):
            return LifeboatError(
                .actionFailed, "\(subject): the server name \(host) could not be resolved",
                hint: "use the server's IP address in server:, or fix this machine's resolver", retryable: true)
        case .closed:
            return LifeboatError(
                .actionFailed, "\(subject): \(c.server) closed the connection without answering",
                hint: "check the server's log", retryable: true)
        case .malformed(let wire):
            return LifeboatError(
                .actionFailed, "\(subject): \(c.server) sent a malformed answer: \(wire)",
                hint: "is something other than a DNS server listening there?", retryable: false)
        case .io(let text):
            return LifeboatError(
                .actionFailed, "\(subject): \(text)", hint: "check the network between here and the server", retryable: true)
        }
    }

    /// The error for an UPDATE answer that did not succeed; nil when it did.
    /// `changed`: what the update changes ("db.example.test. A"); `addsCNAME`: whether it adds a
    /// CNAME (which servers refuse or ignore beside other data).
    static func update(
        _ answer: DNSServerClient.UpdateAnswer, zone: DNSName, changed: String, addsCNAME: Bool = false, keyName: DNSName?,
        algorithm: TSIGAlgorithm, _ c: Context
    ) -> LifeboatError? {
        let subject = "\(c.server)"
        let keyText = keyName.map { "'\($0)'" } ?? ""
        let cnameNote = addsCNAME ? "; a CNAME beside other data is refused too: delete the name's other RRsets in the same step (changes:)" : ""
        // A TSIG error the server reported wins over the header RCODE (which is NOTAUTH then).
        if case .serverError(let tsigError)? = answer.tsig {
            switch tsigError {
            case .badSig:
                return LifeboatError(
                    .actionFailed, "\(subject) rejected the update's signature (BADSIG): the TSIG secret for key \(keyText) does not match the server's",
                    hint: "check the secret key_secret comes from (the plan's secrets: entry) and algorithm \(algorithm.rawValue) against the server's key statement")
            case .badKey:
                return LifeboatError(
                    .actionFailed, "\(subject) does not know TSIG key \(keyText) with algorithm \(algorithm.rawValue) (BADKEY)",
                    hint: "check key_name and algorithm against the server's key statement")
            case .badTime:
                return LifeboatError(
                    .actionFailed, "\(subject) rejected the update's TSIG time (BADTIME): the clocks differ by more than \(TSIG.defaultFudge)s",
                    hint: "sync this machine's clock and the server's (NTP)")
            default:
                return LifeboatError(
                    .actionFailed, "\(subject) rejected the update's TSIG (\(tsigError))", hint: "check key_name, key_secret and algorithm")
            }
        }
        switch answer.rcode {
        case .noError:
            switch answer.tsig {
            case nil, .verified?: return nil
            case .unsigned?:
                return LifeboatError(
                    .actionFailed, "\(subject) answered the signed update without a TSIG: the answer cannot be trusted",
                    hint: "check that the server is the zone's primary; verify the records with dns.check")
            case .badMAC?, .otherKey?:
                return LifeboatError(
                    .actionFailed, "\(subject): the answer's TSIG does not verify with key \(keyText) (the update may have been applied)",
                    hint: "check the key; verify the records with dns.check")
            case .badTime(let signed, let now)?:
                return LifeboatError(
                    .actionFailed, "\(subject): the answer was signed at \(signed), this machine's clock says \(now): over the \(TSIG.defaultFudge)s fudge",
                    hint: "sync this machine's clock and the server's (NTP)")
            case .serverError?: return nil  // handled above
            }
        case .refused:
            if keyName == nil {
                return LifeboatError(
                    .actionFailed, "\(subject) refused an unsigned update of zone \(zone) (REFUSED)",
                    hint: "the server refused an unsigned update; sign it with a TSIG key (key_name, key_secret)")
            }
            if answer.tsig == .verified {
                // The answer is signed with the same key: the key is right, the policy is not.
                return LifeboatError(
                    .actionFailed, "\(subject) refused the update of \(changed) in zone \(zone) signed with key \(keyText) (REFUSED)",
                    hint: "the key is valid (the answer is signed with it): check that the zone's update policy grants key \(keyText) this name and type\(cnameNote)")
            }
            // PowerDNS answers every TSIG failure like this: a bare REFUSED, no TSIG to tell which.
            return LifeboatError(
                .actionFailed, "\(subject) refused the update of \(changed) in zone \(zone) signed with key \(keyText) (REFUSED, answer not signed)",
                hint: "the zone's update policy may not grant key \(keyText), or the secret, the key name or the algorithm (\(algorithm.rawValue)) may not match the server's key\(cnameNote)")
        case .notAuth:
            if keyName == nil {
                // Knot answers an unsigned update to a zone that requires a key with NOTAUTH.
                return LifeboatError(
                    .actionFailed, "\(subject) refused an unsigned update of zone \(zone) (NOTAUTH)",
                    hint: "the server refused an unsigned update; sign it with a TSIG key (key_name, key_secret), or point server: at the zone's primary")
            }
            return LifeboatError(
                .actionFailed, "\(subject) is not authoritative for zone \(zone), or refused key \(keyText) (NOTAUTH)",
                hint: "point server: at the zone's primary and check zone:, key_name, key_secret and algorithm")
        case .notZone:
            return LifeboatError(
                .actionFailed, "\(subject): \(changed) is not in zone \(zone) as the server sees it (NOTZONE)",
                hint: "set zone: to the zone that holds the name (a delegated child zone is a zone of its own)")
        case .servFail:
            return LifeboatError(
                .actionFailed, "\(subject) failed to apply the update of zone \(zone) (SERVFAIL)",
                hint: "check the server's log (zone loaded? journal writable?)", retryable: true)
        case .formErr:
            return LifeboatError(
                .actionFailed, "\(subject) could not parse the update (FORMERR)",
                hint: "the server may not support RFC 2136 UPDATE; check its log")
        case .notImp:
            return LifeboatError(.actionFailed, "\(subject) does not implement UPDATE (NOTIMP)", hint: "send the update to the zone's primary")
        case .yxDomain, .yxRRSet, .nxDomain, .nxRRSet:
            let meaning: String
            switch answer.rcode {
            case .yxDomain: meaning = "a name that must not exist exists (YXDOMAIN)"
            case .yxRRSet: meaning = "an RRset that must not exist exists (YXRRSET)"
            case .nxDomain: meaning = "a name that must exist does not (NXDOMAIN)"
            default: meaning = "an RRset that must exist does not, or differs (NXRRSET)"
            }
            return LifeboatError(
                .actionFailed, "\(subject): a prerequisite failed, nothing changed: \(meaning)",
                hint: "the zone is not in the state the prerequisites require; look at it with dns.check or dig")
        default:
            return LifeboatError(.actionFailed, "\(subject) answered the update with \(answer.rcode)", hint: "check the server's log")
        }
    }

    /// The error for a query answer that is not NOERROR or NXDOMAIN; nil otherwise.
    static func query(_ answer: DNSMessage, _ c: Context) -> LifeboatError? {
        let subject = "\(c.what) at \(c.server)"
        switch answer.rcode {
        case .noError, .nxDomain: return nil
        case .refused:
            return LifeboatError(
                .actionFailed, "\(subject): the server refused the query (REFUSED)",
                hint: "is it authoritative for this zone, and does it allow queries from here?")
        case .servFail:
            return LifeboatError(
                .actionFailed, "\(subject): the server failed (SERVFAIL)", hint: "check the server's log (is the zone loaded?)",
                retryable: true)
        case .notAuth:
            return LifeboatError(.actionFailed, "\(subject): the server is not authoritative (NOTAUTH)", hint: "point server: at the zone's primary")
        default:
            return LifeboatError(.actionFailed, "\(subject): the server answered \(answer.rcode)", hint: "check the server's log")
        }
    }
}
