import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import LifeboatCore
import LifeboatReports
import LifeboatStore
import Logging
import NIOCore
import NIOSSL

/// How `lifeboat serve` serves.
public struct WarRoomSettings: Sendable {
    public var listen: ListenAddress
    /// The viewers' token (`--token-file`); nil: no token, loopback only.
    public var token: String?
    /// PEM files of the certificate chain and its key (`--tls-cert`, `--tls-key`).
    public var tls: (certificate: String, key: String)?
    /// The plans of the schedule page (`--plans`), read on each request; nil when not given.
    public var plans: (@Sendable () throws -> [ScheduleCompliance.PlanInfo])?
    /// How often a run is read from a store that cannot say when it changed (SQLite).
    public var pollMs: Int64 = 250

    public init(listen: ListenAddress, token: String?, tls: (certificate: String, key: String)?,
                plans: (@Sendable () throws -> [ScheduleCompliance.PlanInfo])?) {
        self.listen = listen
        self.token = token
        self.tls = tls
        self.plans = plans
    }
}

/// `lifeboat serve`: a read-only view of the store over HTTP (Hummingbird). Only GET routes exist,
/// none writes; every response carries `ResponseHeaders`; with a token every request needs it
/// (`ViewerToken`). Pages are rendered per request from the store; live runs stream their events
/// from one follower per run (`RunFeeds`).
public enum WarRoomServer {
    /// Refuses settings that would expose the store: beyond loopback without a token.
    public static func check(_ settings: WarRoomSettings) throws(LifeboatError) {
        if !settings.listen.isLoopback && settings.token == nil {
            throw LifeboatError(
                .invalidInput, "refusing to serve on \(settings.listen) without a token: anyone who can reach it would see the runs",
                hint: "give --token-file FILE (viewers open the address with ?token=… once), or listen on 127.0.0.1")
        }
    }

    /// Serves until SIGINT or SIGTERM; `listening` is told the address once it accepts connections.
    public static func run(
        store: any EvidenceStore, settings: WarRoomSettings, listening: @escaping @Sendable (String) -> Void
    ) async throws {
        try check(settings)
        let router = Router()
        router.add(middleware: ResponseHeaders())
        if let token = settings.token { router.add(middleware: ViewerToken(token: token, secure: settings.tls != nil)) }
        routes(router, store: store, settings: settings)
        let scheme = settings.tls == nil ? "http" : "https"
        let onRunning: @Sendable (any Channel) async -> Void = { channel in
            let port = channel.localAddress?.port ?? settings.listen.port
            listening("\(scheme)://\(ListenAddress(host: settings.listen.host, port: port))")
        }
        var logger = Logger(label: "lifeboat.serve")
        logger.logLevel = .warning
        let configuration = ApplicationConfiguration(address: .hostname(settings.listen.host, port: settings.listen.port), serverName: nil)
        if let tls = settings.tls {
            let app = Application(
                router: router, server: try .tls(.http1(), tlsConfiguration: try tlsConfiguration(tls)), configuration: configuration,
                onServerRunning: onRunning, logger: logger)
            try await app.runService()
        } else {
            let app = Application(router: router, configuration: configuration, onServerRunning: onRunning, logger: logger)
            try await app.runService()
        }
    }

    private static func routes(_ router: Router<BasicRequestContext>, store: any EvidenceStore, settings: WarRoomSettings) {
        let feeds = RunFeeds(store: store, pollMs: settings.pollMs)
        let name = store.name
        router.get("/") { request, _ in
            var parameters: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { parameters[String(key)] = String(value) }
            return html(try await RunsPage.render(store: store, storeName: name, parameters: parameters, nowMs: nowMs()))
        }
        router.get("/runs/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let page = try await RunPage.render(store: store, storeName: name, runID: id, nowMs: nowMs()) else {
                throw HTTPError(.notFound, message: "no run '\(id)' in \(name)")
            }
            return html(page)
        }
        router.get("/runs/{id}/events") { request, context in
            let id = try context.parameters.require("id")
            guard try await store.run(id) != nil else { throw HTTPError(.notFound, message: "no run '\(id)' in \(name)") }
            return EventStream.response(runID: id, request: request, feeds: feeds)
        }
        router.get("/runs/{id}/progress") { _, context in
            let id = try context.parameters.require("id")
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let body = try CanonicalJSON.encode(try await store.stepProgress(of: id))
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/status") { _, _ in
            let plans = try settings.plans?()
            return html(SchedulePage.render(plans: plans, latest: try await store.latestSucceededRuns(), storeName: name, nowMs: nowMs()))
        }
        router.get("/assets/live.js") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/javascript; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: LiveScript.javascript)))
        }
    }

    private static func html(_ page: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    private static func tlsConfiguration(_ tls: (certificate: String, key: String)) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
    }

    private static func nowMs() -> Int64 { SystemClock().wallMs() }
}
