/// Builds RFC 2136 UPDATE messages: one zone, prerequisites, and update operations.
public struct DNSUpdate: Sendable {
    /// A prerequisite (RFC 2136 §2.4).
    public enum Prerequisite: Sendable, Hashable {
        /// The name owns at least one RR ("yxdomain").
        case nameInUse(DNSName)
        /// The name owns no RR ("nxdomain").
        case nameNotInUse(DNSName)
        /// An RRset of this type exists at the name ("yxrrset", value-independent).
        case rrsetExists(DNSName, RRType)
        /// An RRset exists with exactly these RDATAs ("yxrrset", value-dependent).
        case rrsetEquals(DNSName, RRType, [RData])
        /// No RRset of this type exists at the name ("nxrrset").
        case rrsetDoesNotExist(DNSName, RRType)
    }

    /// An update operation (RFC 2136 §2.5).
    public enum Operation: Sendable, Hashable {
        /// Add an RR to an RRset.
        case add(name: DNSName, type: RRType, ttl: UInt32, rdata: RData)
        /// Delete an RRset.
        case deleteRRset(name: DNSName, type: RRType)
        /// Delete every RRset of a name.
        case deleteName(DNSName)
        /// Delete one RR from an RRset.
        case deleteRR(name: DNSName, type: RRType, rdata: RData)
    }

    public var id: UInt16
    public var zone: DNSName
    public var prerequisites: [Prerequisite]
    public var operations: [Operation]

    public init(id: UInt16, zone: DNSName, prerequisites: [Prerequisite] = [], operations: [Operation] = []) {
        self.id = id
        self.zone = zone
        self.prerequisites = prerequisites
        self.operations = operations
    }

    /// The UPDATE message (unsigned).
    public var message: DNSMessage {
        var m = DNSMessage(header: DNSHeader(id: id, opcode: .update))
        m.zone = [DNSQuestion(name: zone, type: .soa, qClass: .in)]
        for p in prerequisites {
            switch p {
            case .nameInUse(let n): m.prerequisites.append(ResourceRecord(name: n, type: .any, rrClass: .any, ttl: 0, rdata: .raw([])))
            case .nameNotInUse(let n): m.prerequisites.append(ResourceRecord(name: n, type: .any, rrClass: .none, ttl: 0, rdata: .raw([])))
            case .rrsetExists(let n, let t): m.prerequisites.append(ResourceRecord(name: n, type: t, rrClass: .any, ttl: 0, rdata: .raw([])))
            case .rrsetEquals(let n, let t, let values):
                for v in values { m.prerequisites.append(ResourceRecord(name: n, type: t, rrClass: .in, ttl: 0, rdata: v)) }
            case .rrsetDoesNotExist(let n, let t): m.prerequisites.append(ResourceRecord(name: n, type: t, rrClass: .none, ttl: 0, rdata: .raw([])))
            }
        }
        for o in operations {
            switch o {
            case .add(let n, let t, let ttl, let rdata): m.updates.append(ResourceRecord(name: n, type: t, rrClass: .in, ttl: ttl, rdata: rdata))
            case .deleteRRset(let n, let t): m.updates.append(ResourceRecord(name: n, type: t, rrClass: .any, ttl: 0, rdata: .raw([])))
            case .deleteName(let n): m.updates.append(ResourceRecord(name: n, type: .any, rrClass: .any, ttl: 0, rdata: .raw([])))
            case .deleteRR(let n, let t, let rdata): m.updates.append(ResourceRecord(name: n, type: t, rrClass: .none, ttl: 0, rdata: rdata))
            }
        }
        return m
    }
}
