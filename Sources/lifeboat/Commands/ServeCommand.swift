import ArgumentParser
import Foundation
import LifeboatCore
import LifeboatStore
import LifeboatWeb

/// `lifeboat serve`: the war-room page, a read-only view of the store in a browser.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a read-only war-room view of the store: runs live in a browser, their history and the test schedule.",
        discussion: """
            Pages:
              /             the runs, with history's filters (plan, scenario, mode, status, since,
                            until), the summary per scenario and the RTO chart; each run links to its page
              /runs/RUN     the run's report; while it runs, a live panel (state, RTO budget, steps
                            running, approvals awaited with the command that decides them) and
                            updates as events are committed, without a reload
              /status       schedule compliance of the plans under --plans, overdue tests first

            Nothing can be changed through it. It listens on 127.0.0.1 unless --listen says otherwise,
            and refuses to listen beyond this machine without --token-file: viewers then open the
            address once with ?token=… (a cookie keeps them in) or send `Authorization: Bearer …`.
            Every response carries a strict Content-Security-Policy; the pages load nothing from
            elsewhere. Ctrl-C (or SIGTERM) stops it.

            Examples:
              lifeboat serve
              lifeboat serve --db "service=lifeboat" --plans plans/
              lifeboat serve --listen 0.0.0.0:8470 --token-file /etc/lifeboat/viewer-token \\
                --tls-cert /etc/lifeboat/tls.pem --tls-key /etc/lifeboat/tls.key
            """)

    @Option(help: ArgumentHelp("Where to listen: HOST:PORT (port 0: any free port).", valueName: "host:port"))
    var listen = "127.0.0.1:8470"
    @Option(help: ArgumentHelp("A file holding the token viewers must present (needed beyond 127.0.0.1).", valueName: "file"))
    var tokenFile: String?
    @Option(help: ArgumentHelp("PEM certificate chain: serve HTTPS (with --tls-key).", valueName: "file")) var tlsCert: String?
    @Option(help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "file")) var tlsKey: String?
    @Option(help: ArgumentHelp("Plan files or folders for the schedule page.", valueName: "path")) var plans: [String] = []
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    func run() async throws {
        let token = try tokenFile.map(Self.readToken)
        let paths = plans
        var loadPlans: (@Sendable () throws -> [ScheduleCompliance.PlanInfo])?
        if !paths.isEmpty { loadPlans = { @Sendable in try PlanFinder.plans(in: paths) } }
        var tls: (certificate: String, key: String)?
        if let tlsCert, let tlsKey { tls = (tlsCert, tlsKey) }
        let settings = WarRoomSettings(listen: try ListenAddress(parsing: listen), token: token, tls: tls, plans: loadPlans)
        try WarRoomServer.check(settings)
        // Opened as `run` opens it (a SQLite store is created when missing, as the team store's
        // schema is): the war room may be up before the first run.
        let db = try await Runtime.openStore(store)
        do {
            try await WarRoomServer.run(store: db, settings: settings) { address in
                Console.out("serving \(db.name) read-only on \(address) · Ctrl-C stops")
            }
        } catch let error as LifeboatError {
            throw error
        } catch {
            throw LifeboatError(.invalidInput, "cannot serve on \(listen): \(error)", hint: "is the port free? is the TLS certificate and key readable PEM?")
        }
    }

    /// The token in `path`: one line of printable characters without spaces or semicolons.
    static func readToken(_ path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LifeboatError(.invalidInput, "cannot read the token file \(path)", hint: "write the token to it (e.g. openssl rand -hex 24 > \(path)) and make it readable to this account only")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16, token.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != ";" && $0 != "," && ($0.asciiValue ?? 0) >= 33 }) else {
            throw LifeboatError(.invalidInput, "the token in \(path) must be at least 16 printable characters without spaces, commas or semicolons", hint: "e.g. openssl rand -hex 24 > \(path)")
        }
        return token
    }
}
