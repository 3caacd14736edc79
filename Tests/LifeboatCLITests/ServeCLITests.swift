import Foundation
import LifeboatTestSupport
import Testing

/// `lifeboat serve` against a real store, seen by real clients: headless Chromium for the pages,
/// curl for headers, tokens and the event stream.
@Suite("CLI: serve", .serialized)
struct ServeCLITests {
    /// A run executing in another process: its page, opened while the first step runs, shows that
    /// step's completion within a second of its commit, without a reload.
    @Test func aStepsCompletionReachesAnOpenPageWithinASecond() throws {
        let cli = try CLI()
        // The first step outlasts the browser's start (over 2 s on a slow machine), so the page
        // shows it running before it succeeds.
        try writeScenario(cli, steps: """
              - {id: first, action: command, with: {argv: [sleep, "6"]}}
              - {id: second, action: command, needs: [first], with: {argv: [sleep, "1"]}}
            """)
        let served = try Served(cli)
        defer { served.stop() }
        let (executor, id) = try cli.startRun(["plans/p.yaml", "-s", "failover", "--drill"])
        defer { if executor.isRunning { executor.terminate() } }
        let runID = try #require(id)
        let before = cli.path("before.png"), after = cli.path("after.png")
        let watched = try PageWatch.run(
            served.url + "/runs/" + runID, until: PageWatch.stepState("first") + " === 'succeeded'",
            reportBefore: PageWatch.stepState("first"), report: PageWatch.stepState("first"), before: before, after: after)
        #expect(watched.ok, "the page never showed the step succeeded")
        #expect(watched.reportBefore == "running", "before: \(watched.reportBefore ?? "nil")")
        #expect(watched.report == "succeeded")
        for shot in [before, after] {
            let png = try #require(FileManager.default.contents(atPath: shot), "no screenshot \(shot)")
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "\(shot): \(png.count) bytes")
        }
        executor.waitUntilExit()
        #expect(executor.terminationStatus == 0)
        // From the commit of `first`'s success to the page showing it.
        let committed = try #require(try cli.stepSucceededAtMs(runID, "first"))
        let seen = try #require(watched.seenAtMs)
        #expect(seen >= committed && seen - committed < 1000, "seen \(seen - committed) ms after the commit")
    }

    /// A page opened after more happened shows it all (it is rendered from the store), and the
    /// event stream, asked from the last event a browser saw, sends exactly the rest and then `end`.
    @Test func aReopenedPageAndAReconnectingStreamCatchUp() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: """
              - {id: a, action: command, with: {argv: ["true"]}}
              - {id: b, action: command, needs: [a], with: {argv: ["true"]}}
            """)
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        let id = try #require(try cli.newestRunID())
        let served = try Served(cli)
        defer { served.stop() }
        let page = try PageWatch.run(served.url + "/runs/" + id, report: PageWatch.stepState("b") + " + ' ' + !!document.getElementById('live')")
        #expect(page.report == "succeeded false", "an ended run's page is its report, with no live panel")
        let total = (try cli.showJSON(id)["events"] as? [Any])?.count ?? 0
        #expect(total >= 6)
        // As a browser reconnects: the address still says what its page showed, the header what it saw since.
        let stream = try Fetched.get(served.url + "/runs/\(id)/events?after=1", headers: ["Last-Event-ID: 3"])
        #expect(stream.status == 200 && stream.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let ids = stream.body.split(separator: "\n").compactMap { $0.hasPrefix("id: ") ? Int($0.dropFirst(4)) : nil }
        #expect(ids == Array(4...total), "\(stream.body)")
        #expect(stream.body.hasSuffix("event: end\ndata: \(total)\n\n"))
        let fromQuery = try Fetched.get(served.url + "/runs/\(id)/events?after=\(total - 1)")
        #expect(fromQuery.body.split(separator: "\n").filter { $0.hasPrefix("id: ") } == ["id: \(total)"])
    }

    /// Every response (pages, errors, the script, refusals) carries the policy; nothing but GET is
    /// answered; the runs list, the run and the schedule render; a secret the run used is in no
    /// response.
    @Test func responsesCarryThePolicyChangeNothingAndShowNoSecret() throws {
        let cli = try CLI()
        let secret = "hunter2-\(UUID().uuidString.prefix(8))"
        try cli.write("secret.txt", secret + "\n")
        try writeScenario(cli, steps: """
              - id: uses
                action: command
                with: {argv: [sh, -c, "echo token=$1; exit 1", sh, "${secrets.token}"]}
            """, secrets: "schedule: {failover: semiannual}\nsecrets:\n  token: {file: ../secret.txt}")
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover", "--drill").status == 1)
        let id = try #require(try cli.newestRunID())
        let served = try Served(cli, ["--plans", "plans"])
        defer { served.stop() }
        let paths = ["/", "/?plan=test-plan&mode=drill", "/runs/\(id)", "/runs/\(id)/events", "/status", "/assets/live.js", "/runs/none", "/?since=soon"]
        for path in paths {
            let response = try Fetched.get(served.url + path)
            let policy = response.headers["content-security-policy"] ?? ""
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe"), "\(path): \(policy)")
            #expect(response.headers["x-content-type-options"] == "nosniff", "\(path)")
            #expect(!response.body.contains(secret), "\(path) shows the secret")
            #expect(path == "/runs/none" ? response.status == 404 : response.status == 200, "\(path): \(response.status)")
        }
        #expect(try Fetched.get(served.url + "/runs/\(id)").body.contains("token=***"))
        #expect(try Fetched.get(served.url + "/").body.contains("href=\"/runs/\(id)\""))
        #expect(try Fetched.get(served.url + "/?since=soon").body.contains("Not applied: since"))
        let schedule = try Fetched.get(served.url + "/status").body
        #expect(schedule.contains("<td>test-plan</td><td>failover</td>") && schedule.contains("NEVER RUN"), "\(schedule)")
        for method in ["POST", "PUT", "DELETE"] {
            let refused = try Fetched.get(served.url + "/runs/\(id)", method: method)
            #expect(refused.status >= 400, "\(method) answered \(refused.status)")
        }
        let html = try Fetched.get(served.url + "/runs/\(id)").body
        #expect(html.firstMatch(of: /(src|href|action)="(https?:)?\/\//) == nil, "the page loads something from elsewhere")
        #expect(served.stop() == 0)
    }

    /// With a token: no token or a wrong one is 401 (with the policy); the right one as a bearer or
    /// as `?token=` (which sets the cookie and drops the token from the address) is let in.
    /// Without one the server refuses to listen beyond loopback.
    @Test func aTokenIsRequiredWhenSetAndBeyondLoopback() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: "  - {id: a, action: command, with: {argv: [\"true\"]}}\n")
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        let token = "viewer-" + UUID().uuidString
        try cli.write("token", token + "\n")
        // Refused at once; a server that started instead is stopped and counted as a failure.
        let (wide, _, wideErrors) = try cli.start(["serve", "--listen", "0.0.0.0:0"])
        for _ in 0..<100 where wide.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        let listenedWide = wide.isRunning
        if listenedWide { wide.interrupt() }
        wide.waitUntilExit()
        let wideMessage = (try? String(contentsOf: wideErrors, encoding: .utf8)) ?? ""
        #expect(!listenedWide && wide.terminationStatus == 2 && wideMessage.contains("--token-file"), "\(wideMessage)")
        #expect(try cli.run("serve", "--token-file", "missing").status == 2)
        let served = try Served(cli, ["--token-file", "token"])
        defer { served.stop() }
        let none = try Fetched.get(served.url + "/")
        #expect(none.status == 401 && none.headers["content-security-policy"] != nil)
        #expect(try Fetched.get(served.url + "/", headers: ["Authorization: Bearer wrong"]).status == 401)
        #expect(try Fetched.get(served.url + "/?token=wrong").status == 401)
        #expect(try Fetched.get(served.url + "/", headers: ["Authorization: Bearer \(token)"]).status == 200)
        let first = try Fetched.get(served.url + "/status?token=\(token)")
        #expect(first.status == 302 && first.headers["location"] == "/status")
        let cookie = try #require(first.headers["set-cookie"])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let pair = String(cookie.prefix { $0 != ";" })
        #expect(try Fetched.get(served.url + "/status", headers: ["Cookie: \(pair)"]).status == 200)
    }

    /// With --tls-cert and --tls-key it speaks HTTPS only (curl trusting the test's self-signed
    /// certificate), and the token's cookie is then Secure; one of the two alone is refused.
    @Test func tlsServesHTTPSWithASecureCookie() throws {
        let cli = try CLI()
        try writeScenario(cli, steps: "  - {id: a, action: command, with: {argv: [\"true\"]}}\n")
        #expect(try cli.run("run", "plans/p.yaml", "-s", "failover").status == 0)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", cli.path("key.pem"), "-out", cli.path("cert.pem")]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(try cli.run("serve", "--tls-cert", "cert.pem").status == 2)
        let token = "viewer-" + UUID().uuidString
        try cli.write("token", token + "\n")
        let served = try Served(cli, ["--tls-cert", "cert.pem", "--tls-key", "key.pem", "--token-file", "token"])
        defer { served.stop() }
        #expect(served.url.hasPrefix("https://"))
        let trusted = ["--cacert", cli.path("cert.pem")]
        let page = try Fetched.get(served.url + "/", headers: ["Authorization: Bearer \(token)"], curlOptions: trusted)
        #expect(page.status == 200 && page.body.contains("Lifeboat"))
        let first = try Fetched.get(served.url + "/?token=\(token)", curlOptions: trusted)
        #expect(first.headers["set-cookie"]?.contains("; Secure") == true, "\(first.headers)")
        let plain = try Fetched.get(served.url.replacingOccurrences(of: "https://", with: "http://") + "/")
        #expect(plain.status != 200, "plain HTTP answered on the TLS port")
    }

    /// A run waiting for an approval: its page says who may decide and the command that does, and
    /// once it is approved elsewhere the page no longer asks.
    @Test func anAwaitedApprovalNamesWhoMayDecideAndTheCommand() throws {
        let cli = try CLI()
        let me = NSUserName()  // approvers are accounts; the tests' own may decide
        try writeScenario(cli, steps: """
              - {id: gate, action: approval, with: {prompt: "go?", approvers: [ic, \(me)], separation_of_duties: false}}
              - {id: after, action: command, needs: [gate], with: {argv: ["true"]}}
            """)
        let served = try Served(cli)
        defer { served.stop() }
        let (executor, _, _) = try cli.start(["run", "plans/p.yaml", "-s", "failover"])
        defer { if executor.isRunning { executor.terminate() } }
        var page = ""
        for _ in 0..<200 where !page.contains("Awaiting approval") {
            Thread.sleep(forTimeInterval: 0.05)
            if let id = try cli.newestRunID() { page = try Fetched.get(served.url + "/runs/\(id)").body }
        }
        let id = try #require(try cli.newestRunID())
        #expect(page.contains("who may decide: ic, \(me)"), "\(page)")
        #expect(page.contains("<code>lifeboat approve \(id) gate --by NAME</code>"), "\(page)")
        #expect(page.contains("0 of 1 given"))
        let approved = try cli.run("approve", id, "gate", "--by", "ic")
        #expect(approved.status == 0, "\(approved.output)")
        for _ in 0..<200 where executor.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!executor.isRunning && executor.terminationStatus == 0)
        let after = try Fetched.get(served.url + "/runs/\(id)").body
        #expect(!after.contains("Awaiting approval") && !after.contains("id=\"live\""))
    }

    /// A step that prints as it works: its latest output line, as the executor shares it, reaches
    /// the open page while the step still runs (secrets masked as in every output line).
    @Test func aRunningStepsLatestOutputLineReachesThePage() throws {
        let cli = try CLI()
        let secret = "hunter2-\(UUID().uuidString.prefix(8))"
        try cli.write("secret.txt", secret + "\n")
        try writeScenario(cli, steps: """
              - id: copy
                action: command
                with: {argv: [sh, -c, "echo starting; sleep 1; echo copied 40% with $1; sleep 4", sh, "${secrets.token}"]}
            """, secrets: "secrets:\n  token: {file: ../secret.txt}")
        let served = try Served(cli)
        defer { served.stop() }
        let (executor, id) = try cli.startRun(["plans/p.yaml", "-s", "failover", "--drill"])
        defer { if executor.isRunning { executor.terminate() } }
        let runID = try #require(id)
        let latest = "(document.querySelector('#live .latest code') || {}).textContent"
        let watched = try PageWatch.run(served.url + "/runs/" + runID, until: latest + " === 'copied 40% with ***'", report: latest, timeout: 4)
        #expect(watched.ok, "the page showed: \(watched.report ?? "nothing")")
        #expect(executor.isRunning, "the step ended before its line was seen")
        let progress = try Fetched.get(served.url + "/runs/\(runID)/progress")
        #expect(progress.body.contains("copied 40% with ***") && !progress.body.contains(secret), "\(progress.body)")
        for _ in 0..<200 where executor.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!executor.isRunning && executor.terminationStatus == 0)
    }
}
