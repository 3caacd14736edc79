import Foundation
import LifeboatActions
import LifeboatCore
import LifeboatTestSupport
import Testing

/// `notify` against a real webhook receiver that records every request and drops repeated
/// `Idempotency-Key`s as a chat service does.
@Suite("notify against a real webhook receiver", .serialized)
struct NotifyActionTests {
    let action = NotifyAction()

    @Test func textIsSentAsSlackJSONWithTheKeyAndTheStepsHeaders() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let token = "xoxb-\(UUID().uuidString.prefix(12))"
        let params: [String: Value] = [
            "url": .string(receiver.url + "/hook"), "text": "Failover of ledger done: run r1 \"ok\"",
            "headers": ["Authorization": .string("Bearer " + token), "X-Team": "sre"],
        ]
        let result = try await action.run(in: request(params, step: "tell", masker: SecretMasker(secrets: [token])))
        let got = receiver.requests()
        #expect(got.count == 1)
        let first = try #require(got.first)
        #expect(first.key == "r1/tell/1")
        #expect(first.headers["content-type"] == "application/json")
        #expect(first.headers["authorization"] == "Bearer " + token)
        #expect(first.headers["x-team"] == "sre")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: String])
        #expect(body == ["text": "Failover of ledger done: run r1 \"ok\""])
        #expect(result.outputs["status"] == 200)
        #expect(result.outputs["idempotency_key"] == "r1/tell/1")
        #expect(result.outputs["response"]?.stringValue?.contains("\"ok\": true") == true)
        #expect(result.summary.contains("Idempotency-Key r1/tell/1"))
        #expect(!result.summary.contains(token))
    }

    @Test func aBodyIsSentAsJSONAndTheRollbackHasItsOwnKey() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let params: [String: Value] = [
            "url": .string(receiver.url + "/hook"),
            "body": ["channel": "#dr", "blocks": .list([["type": "section", "n": 2]])],
        ]
        var context = request(params, step: "tell")
        _ = try await action.run(in: context)
        context.isCompensation = true
        _ = try await action.run(in: context)
        let got = receiver.requests()
        #expect(got.map(\.key) == ["r1/tell/1", "r1/tell/2"])
        #expect(got.first?.body == ##"{"blocks":[{"n":2,"type":"section"}],"channel":"#dr"}"##)
        #expect(receiver.notifications().count == 2)
    }

    /// A receiver failing twice: each retry carries the same key, the third is accepted; one
    /// notification.
    @Test func everyRetryCarriesTheSameKey() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let context = request(["url": .string(receiver.url + "/fail-first/2"), "text": "hello"], step: "tell")
        for _ in 0..<2 {
            let error = await lifeboatError { _ = try await action.run(in: context) }
            #expect(error?.retryable == true)
            #expect(error?.message.contains("returned 503 (expected 2xx)") == true)
            #expect(error?.message.contains("r1/tell/1") == true)
        }
        _ = try await action.run(in: context)
        #expect(receiver.requests().map(\.key) == ["r1/tell/1", "r1/tell/1", "r1/tell/1"])
        #expect(receiver.notifications().count == 1)
    }

    @Test func badParametersAreRefusedBeforeAnythingIsSent() async throws {
        let cases: [([String: Value], String)] = [
            (["url": "http://127.0.0.1:9/hook"], "text"),
            (["url": "http://127.0.0.1:9/hook", "text": "a", "body": ["text": "b"]], "body"),
            (["url": "http://127.0.0.1:9/hook", "text": "a", "headers": ["Idempotency-Key": "mine"]], "headers.Idempotency-Key"),
            (["url": "ftp://127.0.0.1/hook", "text": "a"], "url"),
            (["url": "http://127.0.0.1:9/hook", "text": "a", "tls": ["insecure_skip_verify": true]], "tls"),
            (["url": "http://127.0.0.1:9/hook", "text": "a", "timeout": "0s"], "timeout"),
        ]
        for (params, parameter) in cases {
            let error = await lifeboatError { _ = try await action.preflight(in: request(params)) }
            #expect(error?.code == .invalidInput, "\(params)")
            #expect(error?.message.contains("'\(parameter)'") == true || error?.message.contains(parameter) == true, "\(error?.message ?? "")")
        }
    }

    @Test func aRefusedConnectionIsRetryableAndNamesTheURL() async throws {
        let port = try WebhookReceiver().port  // stopped on deinit: the port is free again
        let error = await lifeboatError {
            _ = try await action.run(in: request(["url": .string("http://127.0.0.1:\(port)/hook"), "text": "x"]))
        }
        #expect(error?.retryable == true)
        #expect(error?.message.contains("127.0.0.1:\(port)/hook") == true)
    }
}
