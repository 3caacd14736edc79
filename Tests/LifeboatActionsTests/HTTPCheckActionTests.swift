import Foundation
import LifeboatActions
import LifeboatCore
import Testing

@Suite("http.check action")
struct HTTPCheckActionTests {
    let action = HTTPCheckAction()

    @Test func passesOnExpectedStatusAndReportsStatusLatencyAndBody() async throws {
        try await TestHTTPServer.withServer { port in
            let result = try await HTTPCheckAction().run(in:
                request(["url": .string("http://127.0.0.1:\(port)/health"), "body_contains": "ready", "body_matches": #"version \d+\.\d+"#]))
            #expect(result.outputs["status"] == 200)
            #expect(result.outputs["latency_ms"]?.intValue.map { $0 >= 0 } == true)
            #expect(result.outputs["body_tail"]?.stringValue?.contains("status: ready") == true)
            #expect(result.summary.contains("→ 200"))
        }
    }

    @Test func wrongStatusFailsAndOnly5xxIsRetryable() async throws {
        try await TestHTTPServer.withServer { port in
            let action = HTTPCheckAction()
            let notFound = await lifeboatError {
                _ = try await action.run(in: request(["url": .string("http://127.0.0.1:\(port)/missing")], step: "smoke"))
            }
            #expect(notFound?.code == .actionFailed)
            #expect(notFound?.message == "step 'smoke': GET http://127.0.0.1:\(port)/missing returned 404 (expected 200)")
            #expect(notFound?.retryable == false)

            let unavailable = await lifeboatError {
                _ = try await action.run(in: request(["url": .string("http://127.0.0.1:\(port)/status/503")]))
            }
            #expect(unavailable?.message.contains("returned 503 (expected 200)") == true)
            #expect(unavailable?.retryable == true)

            let listed = try await action.run(in: request(["url": .string("http://127.0.0.1:\(port)/status/204"), "expect_status": [200, 204]]))
            #expect(listed.outputs["status"] == 204)
            let redirect = try await action.run(in: request(["url": .string("http://127.0.0.1:\(port)/status/302"), "expect_status": 302]))
            #expect(redirect.outputs["status"] == 302, "redirects are reported, not followed")
        }
    }

    @Test func bodyContainsAndBodyMatchesMismatchFail() async throws {
        try await TestHTTPServer.withServer { port in
            let action = HTTPCheckAction()
            let url = Value.string("http://127.0.0.1:\(port)/health")
            let contains = await lifeboatError { _ = try await action.run(in: request(["url": url, "body_contains": "degraded"])) }
            #expect(contains?.message.contains("the body does not contain \"degraded\"") == true)
            let matches = await lifeboatError { _ = try await action.run(in: request(["url": url, "body_matches": "^version 9"])) }
            #expect(matches?.message.contains("does not match") == true)
        }
    }

    @Test func maxLatencyExceededFails() async throws {
        try await TestHTTPServer.withServer { port in
            let error = await lifeboatError {
                _ = try await HTTPCheckAction().run(in:
                    request(["url": .string("http://127.0.0.1:\(port)/slow?s=0.4"), "max_latency": "100ms"]))
            }
            #expect(error?.code == .actionFailed)
            #expect(error?.message.contains("over max_latency 100ms") == true)
            #expect(error?.retryable == true)
        }
    }

    @Test func requestTimeoutFailsWithAClearMessage() async throws {
        try await TestHTTPServer.withServer { port in
            let started = ContinuousClock.now
            let error = await lifeboatError {
                _ = try await HTTPCheckAction().run(in: request(["url": .string("http://127.0.0.1:\(port)/slow?s=20"), "timeout": "300ms"]))
            }
            #expect(ContinuousClock.now - started < .seconds(10))  // the server would take 20 s; loose for a loaded CI
            #expect(error?.message.contains("no complete response within 300ms") == true)
            #expect(error?.retryable == true)
        }
    }

    @Test func connectionRefusedIsRetryableAndNamesTheURL() async throws {
        let port = unusedPort()
        let error = await lifeboatError {
            _ = try await HTTPCheckAction().run(in: request(["url": .string("http://user:pw@127.0.0.1:\(port)/health?token=x")], step: "smoke"))
        }
        #expect(error?.code == .actionFailed)
        #expect(error?.retryable == true)
        #expect(error?.message == "step 'smoke': GET http://127.0.0.1:\(port)/health: connection refused")
        #expect(error?.description.contains("pw") == false)
    }

    @Test func methodHeadersBodyAndBasicAuthAreSent() async throws {
        try await TestHTTPServer.withServer { port in
            let result = try await HTTPCheckAction().run(in:
                request([
                    "url": .string("http://ops:pa55word@127.0.0.1:\(port)/echo"), "method": "post",
                    "headers": ["X-Lifeboat": "drill"], "body": "{\"ping\":1}", "body_contains": "\"method\": \"POST\"",
                ]))
            let body = try #require(result.outputs["body_tail"]?.stringValue)
            #expect(body.contains("\"X-Lifeboat\": \"drill\""))
            #expect(body.contains("Basic b3BzOnBhNTV3b3Jk"))
            #expect(body.contains(#"{\"ping\":1}"#))
        }
    }

    @Test func bodyTailKeepsBothEndsAndMasksSecrets() async throws {
        try await TestHTTPServer.withServer { port in
            let action = HTTPCheckAction()
            let big = try await action.run(in: request(["url": .string("http://127.0.0.1:\(port)/big"), "body_contains": "END"]))
            let tail = try #require(big.outputs["body_tail"]?.stringValue)
            #expect(tail.hasSuffix("END"))
            #expect(tail.contains(" … "))
            #expect(tail.count < 1_100)

            let masker = SecretMasker(secrets: ["hunter2-secret-value"])
            let secret = try await action.run(in: request(["url": .string("http://127.0.0.1:\(port)/secret")], masker: masker))
            #expect(secret.outputs["body_tail"] == "token=***")
        }
    }

    @Test func tlsIsVerifiedByDefaultAndACustomCAMakesItPass() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.directory.remove() }
        try await TestHTTPServer.withServer(certificate: certificates) { port in
            let action = HTTPCheckAction()
            let url = Value.string("https://127.0.0.1:\(port)/health")

            let untrusted = await lifeboatError { _ = try await action.run(in: request(["url": url])) }
            #expect(untrusted?.code == .actionFailed)
            #expect(untrusted?.retryable == false)
            #expect(untrusted?.message.contains("TLS failed") == true, "\(String(describing: untrusted))")

            let trusted = try await action.run(in: request(["url": url, "tls": ["ca_file": .string(certificates.caCert)]]))
            #expect(trusted.outputs["status"] == 200)

            let relative = try await action.run(in: request(["url": url, "tls": ["ca_file": "ca.pem"]], base: certificates.directory.path))
            #expect(relative.outputs["status"] == 200)

            let skipped = try await action.run(in: request(["url": url, "tls": ["insecure_skip_verify": true]]))
            #expect(skipped.outputs["status"] == 200)
        }
    }

    @Test func clientCertificateIsPresentedWhenConfigured() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.directory.remove() }
        try await TestHTTPServer.withServer(certificate: certificates, requireClientCertificate: true) { port in
            let action = HTTPCheckAction()
            let url = Value.string("https://127.0.0.1:\(port)/health")
            let withCert = try await action.run(in:
                request([
                    "url": url,
                    "tls": ["ca_file": "ca.pem", "client_cert": "client.pem", "client_key": "client.key"],
                ], base: certificates.directory.path))
            #expect(withCert.outputs["status"] == 200)

            let withoutCert = await lifeboatError { _ = try await action.run(in: request(["url": url, "tls": ["ca_file": .string(certificates.caCert)]])) }
            #expect(withoutCert?.code == .actionFailed)
        }
    }

    @Test func cancellationStopsASlowRequestPromptly() async throws {
        try await TestHTTPServer.withServer { port in
            let (error, elapsed): (LifeboatError?, Duration) = await withTaskGroup(of: LifeboatError?.self) { group in
                group.addTask {
                    do {
                        _ = try await HTTPCheckAction().run(in: request(["url": .string("http://127.0.0.1:\(port)/slow?s=20")]))
                        return nil
                    } catch {
                        return error as? LifeboatError
                    }
                }
                try? await Task.sleep(for: .milliseconds(200))
                let cancelledAt = ContinuousClock.now
                group.cancelAll()
                let e = await group.next() ?? nil
                return (e, ContinuousClock.now - cancelledAt)
            }
            #expect(error?.code == .cancelled)
            #expect(elapsed < .seconds(10))  // the server would take 20 s; loose for a loaded CI
        }
    }

    @Test func localhostNameIsCheckedAgainstTheCertificate() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.directory.remove() }
        try await TestHTTPServer.withServer(certificate: certificates) { port in
            let result = try await HTTPCheckAction().run(in:
                request(["url": .string("https://localhost:\(port)/health"), "tls": ["ca_file": .string(certificates.caCert)]]))
            #expect(result.outputs["status"] == 200)
        }
    }

    @Test func plainHTTPServerOnAnHTTPSURLIsATLSError() async throws {
        try await TestHTTPServer.withServer { port in
            let error = await lifeboatError { _ = try await HTTPCheckAction().run(in: request(["url": .string("https://127.0.0.1:\(port)/health")])) }
            #expect(error?.code == .actionFailed)
            #expect(error?.message.contains("https://127.0.0.1:\(port)/health") == true)
        }
    }

    @Test func endpointPreflightAndParameterErrors() async throws {
        #expect(action.endpoint(for: request(["url": "http://db.example.test/health"])) == "http://db.example.test:80")
        #expect(action.endpoint(for: request(["url": "https://u:p@10.0.0.1:8443/x?y=1"])) == "https://10.0.0.1:8443")
        #expect(try await action.preflight(in: request(["url": "http://127.0.0.1:1/health"])) == .ok("GET http://127.0.0.1:1/health"))
        await #expect(throws: LifeboatError.self) { _ = try await action.preflight(in: request(["url": "ftp://example.test/"])) }
        await #expect(throws: LifeboatError.self) { _ = try await action.preflight(in: request(["url": "not a url"])) }
        await #expect(throws: LifeboatError.self) { _ = try await action.preflight(in: request(["url": "http://h/", "body_matches": "(unclosed"])) }
        let missingCA = try await action.preflight(in: request(["url": "https://h/", "tls": ["ca_file": "/nonexistent/ca.pem"]]))
        #expect(missingCA != .ok("GET https://h/"))
        #expect(action.spec.idempotent)
        #expect(!action.spec.hasVerify)
    }
}
