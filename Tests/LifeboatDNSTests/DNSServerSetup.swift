import Foundation

/// How each server is configured and started in the foreground for `DNSTestServer`: the same
/// zones, keys and update rights on every server, in the server's own terms.
struct DNSServerSetup: Sendable {
    /// What the harness hands a setup.
    struct Layout {
        var directory: String
        var port: Int
        /// Absolute names with the trailing dot; each zone's file is DIR/ZONEzone (`example.test.zone`).
        var zones: [String]
        /// Base64 secrets by key name (the keys are `DNSTestServer.keys`).
        var secrets: [String: String]

        func file(_ zone: String) -> String { "\(directory)/\(zone)zone" }
        func bare(_ zone: String) -> String { String(zone.dropLast()) }
    }

    struct Launch {
        var argv: [String]
        var config: String
    }

    var programs: [String]
    var packages: String
    /// The OS user the server runs as (it owns the folder).
    var user: String
    var prepare: @Sendable (Layout) throws -> Launch

    static func `for`(_ kind: DNSTestServer.Kind) -> DNSServerSetup {
        switch kind {
        case .bind: bind
        case .knot: knot
        case .powerdns: powerDNS
        }
    }

    /// BIND 9: `named -g -n 1 -u bind`, `listen-on port N`, `recursion no`, an empty `controls`
    /// (no rndc.key needed), `update-policy { grant KEY zonesub ANY; }` per key.
    static let bind = DNSServerSetup(
        programs: ["/usr/sbin/named"], packages: "bind9 and bind9-dnsutils", user: "bind"
    ) { l in
        let keys = DNSTestServer.keys.map { "key \"\($0.name)\" { algorithm \($0.algorithm); secret \"\(l.secrets[$0.name]!)\"; };" }
        let grants = DNSTestServer.keys.map { "grant \($0.name) zonesub ANY;" }.joined(separator: " ")
        let zones = l.zones.map { "zone \"\(l.bare($0))\" { type primary; file \"\(l.file($0))\"; update-policy { \(grants) }; };" }
        let config = """
            options {
                directory "\(l.directory)";
                pid-file "\(l.directory)/named.pid";
                session-keyfile "\(l.directory)/session.key";
                managed-keys-directory "\(l.directory)";
                listen-on port \(l.port) { 127.0.0.1; };
                listen-on-v6 { none; };
                recursion no;
                allow-transfer { none; };
                dnssec-validation no;
                notify no;
            };
            controls { };
            \(keys.joined(separator: "\n"))
            \(zones.joined(separator: "\n"))

            """
        try config.write(toFile: l.directory + "/named.conf", atomically: true, encoding: .utf8)
        return Launch(argv: ["/usr/sbin/named", "-g", "-n", "1", "-u", "bind", "-c", l.directory + "/named.conf"], config: config)
    }

    /// Knot DNS 3: `knotd -c CONF` in the foreground (it drops to `user: knot:knot`), an ACL with
    /// `action: update` for the keys, the journal in the folder, the zone files never rewritten.
    static let knot = DNSServerSetup(
        programs: ["/usr/sbin/knotd"], packages: "knot and knot-dnsutils", user: "knot"
    ) { l in
        let keys = DNSTestServer.keys.map { "  - id: \($0.name)\n    algorithm: \($0.algorithm)\n    secret: \(l.secrets[$0.name]!)" }
        let zones = l.zones.map { "  - domain: \(l.bare($0))\n    file: \(l.file($0))\n    acl: [update]" }
        let config = """
            server:
                listen: 127.0.0.1@\(l.port)
                rundir: \(l.directory)
                user: knot:knot
            log:
              - target: stderr
                any: info
            database:
                storage: \(l.directory)
            key:
            \(keys.joined(separator: "\n"))
            acl:
              - id: update
                key: [\(DNSTestServer.keys.map(\.name).joined(separator: ", "))]
                action: update
            template:
              - id: default
                zonefile-sync: -1
                zonefile-load: difference-no-serial
                journal-content: all
            zone:
            \(zones.joined(separator: "\n"))

            """
        try config.write(toFile: l.directory + "/knot.conf", atomically: true, encoding: .utf8)
        return Launch(argv: ["/usr/sbin/knotd", "-c", l.directory + "/knot.conf"], config: config)
    }

    /// PowerDNS 4 with the gsqlite3 backend: zones loaded with `pdnsutil load-zone`, keys imported,
    /// `TSIG-ALLOW-DNSUPDATE` for the keys and `SOA-EDIT-DNSUPDATE INCREASE` (serial + 1 per
    /// update, as BIND and Knot do) as zone metadata; `dnsupdate=yes` from 127.0.0.1; packet and
    /// query caches off (a test reads right after it writes); run as `pdns` through setpriv.
    static let powerDNS = DNSServerSetup(
        programs: ["/usr/sbin/pdns_server", "/usr/bin/pdnsutil", "/usr/bin/sqlite3", "/usr/bin/setpriv"],
        packages: "pdns-server and pdns-backend-sqlite3", user: "pdns"
    ) { l in
        let database = l.directory + "/pdns.sqlite3"
        try? FileManager.default.removeItem(atPath: database)
        _ = try DNSTestServer.run(
            ["/usr/bin/sqlite3", database],
            stdin: try String(contentsOfFile: "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql", encoding: .utf8), check: true)
        let config = """
            launch=gsqlite3
            gsqlite3-database=\(database)
            local-address=127.0.0.1
            local-port=\(l.port)
            dnsupdate=yes
            allow-dnsupdate-from=127.0.0.1/32
            daemon=no
            guardian=no
            socket-dir=\(l.directory)
            disable-syslog=yes
            loglevel=4
            webserver=no
            api=no
            security-poll-suffix=
            cache-ttl=0
            negquery-cache-ttl=0
            query-cache-ttl=0
            distributor-threads=1
            receiver-threads=1

            """
        try config.write(toFile: l.directory + "/pdns.conf", atomically: true, encoding: .utf8)
        func pdnsutil(_ args: [String]) throws { _ = try DNSTestServer.run(["/usr/bin/pdnsutil", "--config-dir=\(l.directory)"] + args) }
        for key in DNSTestServer.keys { try pdnsutil(["import-tsig-key", key.name, key.algorithm, l.secrets[key.name]!]) }
        for zone in l.zones {
            try pdnsutil(["load-zone", l.bare(zone), l.file(zone)])
            try pdnsutil(["set-meta", l.bare(zone), "TSIG-ALLOW-DNSUPDATE"] + DNSTestServer.keys.map(\.name))
            try pdnsutil(["set-meta", l.bare(zone), "SOA-EDIT-DNSUPDATE", "INCREASE"])
        }
        return Launch(
            argv: ["/usr/bin/setpriv", "--reuid", "pdns", "--regid", "pdns", "--init-groups", "/usr/sbin/pdns_server", "--config-dir=\(l.directory)"],
            config: config)
    }
}
