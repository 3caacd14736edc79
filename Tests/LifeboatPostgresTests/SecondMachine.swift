import Foundation
import LifeboatPostgresHarness

/// Another "machine" on this one: a network namespace joined to this one by a veth pair (this end
/// `hostAddress`, the other `peerAddress`, a /30 of 10.231.0.0/16), in which commands run with a
/// host name of their own. `pullCable()` deletes the pair: the peer's connections go silent, as
/// when a machine dies; `remove()` deletes everything (also after a failed test).
struct SecondMachine {
    let namespace: String
    let hostLink: String
    let hostAddress: String
    let peerAddress: String
    let hostName: String

    static func make(hostName: String = "host-b") async throws -> SecondMachine {
        let tag = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(6))
        let subnet = "10.231.\(Int.random(in: 0...255)).\(4 * Int.random(in: 0...63))"
        let base = subnet.split(separator: ".").map { Int($0)! }
        let address = { (n: Int) in "\(base[0]).\(base[1]).\(base[2]).\(base[3] + n)" }
        let machine = SecondMachine(
            namespace: "lbt\(tag)", hostLink: "lbh\(tag)", hostAddress: address(1), peerAddress: address(2), hostName: hostName)
        let peerLink = "lbp\(tag)"
        do {
            for argv in [
                ["netns", "add", machine.namespace],
                ["link", "add", machine.hostLink, "type", "veth", "peer", "name", peerLink],
                ["link", "set", peerLink, "netns", machine.namespace],
                ["addr", "add", "\(machine.hostAddress)/30", "dev", machine.hostLink],
                ["link", "set", machine.hostLink, "up"],
                ["netns", "exec", machine.namespace, "ip", "addr", "add", "\(machine.peerAddress)/30", "dev", peerLink],
                ["netns", "exec", machine.namespace, "ip", "link", "set", peerLink, "up"],
                ["netns", "exec", machine.namespace, "ip", "link", "set", "lo", "up"],
            ] { try await PostgresCommands.run(["/usr/sbin/ip"] + argv, asServerUser: false) }
        } catch {
            await machine.remove()
            throw error
        }
        return machine
    }

    /// The command line that runs `argv` on this machine (its network, its host name).
    func command(_ argv: [String]) -> [String] {
        ["/usr/sbin/ip", "netns", "exec", namespace, "unshare", "--uts", "sh", "-c", "hostname \"$0\" && exec \"$@\"", hostName] + argv
    }

    func pullCable() async throws {
        try await PostgresCommands.run(["/usr/sbin/ip", "link", "del", hostLink], asServerUser: false)
    }

    func remove() async {
        _ = try? await PostgresCommands.run(["/usr/sbin/ip", "link", "del", hostLink], asServerUser: false)
        _ = try? await PostgresCommands.run(["/usr/sbin/ip", "netns", "del", namespace], asServerUser: false)
    }
}
