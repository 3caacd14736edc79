import Foundation
import LifeboatActions
import LifeboatCore
import Testing

/// `kubernetes.scale` against `KubeTestServer`: real HTTPS with a test CA, bearer tokens and client
/// certificates, and a simulated rollout. Serialized: each test starts openssl and a server, and
/// running them all at once would load the machine for the timing-sensitive suites beside them.
@Suite("kubernetes.scale action", .serialized)
struct KubernetesScaleActionTests {
    static let web = KubeTestServer.Workload(name: "web", replicas: 1)

    /// A token kubeconfig for `server`; its path.
    static func tokenKubeconfig(_ server: KubeTestServer, _ certs: TestCertificates, token: String = KubeTestServer.token) throws -> String {
        try server.kubeconfig(caPEM: try String(contentsOfFile: certs.caCert, encoding: .utf8), user: "token: \(token)")
    }

    static func scaleParams(_ kubeconfig: String, replicas: Int, name: String = "web", timeout: String = "20s") -> [String: Value] {
        ["kubeconfig": .string(kubeconfig), "namespace": "ns", "name": .string(name), "replicas": .int(replicas),
         "timeout": .string(timeout), "poll": "50ms"]
    }

    @Test func scalesUpThroughAKubeconfigWithCADataAndATokenAndWaitsForReadyReplicas() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        try await KubeTestServer.with([Self.web], certificates: certs) { server in
            let kubeconfig = try Self.tokenKubeconfig(server, certs)
            let result = try await KubernetesScaleAction().run(in: request(Self.scaleParams(kubeconfig, replicas: 3), step: "scale-up"))
            #expect(result.outputs["replicas_before"] == 1)
            #expect(result.outputs["replicas_after"] == 3)
            #expect(result.outputs["ready_replicas"] == 3)
            // Readiness climbs one replica per 100 ms on the server: the action must have waited.
            #expect((result.outputs["time_to_ready_ms"]?.intValue ?? 0) >= 100)
            #expect(result.summary.contains("deployment ns/web scaled 1 → 3, 3 ready"))
            #expect(!result.summary.contains(KubeTestServer.token))

            let requests = server.requests()
            let patch = try #require(requests.first { $0["method"] == "PATCH" })
            #expect(patch["path"] == "/apis/apps/v1/namespaces/ns/deployments/web/scale")
            #expect(patch["content_type"] == "application/merge-patch+json")
            #expect(patch["body"] == #"{"spec":{"replicas":3}}"#)
            #expect(requests.first?["path"] == "/apis/apps/v1/namespaces/ns/deployments/web/scale", "reads the scale first")
            #expect(requests.last?["path"] == "/apis/apps/v1/namespaces/ns/deployments/web", "polls the deployment")
        }
    }

    @Test func usesKUBECONFIGAndTheNamedContextWhenTheStepNamesNoFile() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        try await KubeTestServer.with([Self.web], certificates: certs) { server in
            // current-context points elsewhere: the step's context: decides.
            let path = try server.kubeconfig(
                caPEM: try String(contentsOfFile: certs.caCert, encoding: .utf8), user: "token: \(KubeTestServer.token)",
                currentContext: "other")
            let action = KubernetesScaleAction(environment: ["KUBECONFIG": "/nonexistent/config:" + path, "HOME": "/nonexistent"])
            let result = try await action.run(in:
                request(["context": "test", "namespace": "ns", "name": "web", "replicas": 2, "poll": "50ms", "timeout": "20s"]))
            #expect(result.outputs["replicas_after"] == 2)
            #expect(result.outputs["ready_replicas"] == 2)

            let refused = await lifeboatError {
                _ = try await action.run(in: request(["namespace": "ns", "name": "web", "replicas": 2, "timeout": "5s"]))
            }
            #expect(refused?.message.contains("connection refused") == true, "current-context 'other' is https://127.0.0.1:1")
            #expect(refused?.retryable == true)
        }
    }

    @Test func scalesAStatefulSetWithExplicitServerTokenAndCAFileAndMasksTheToken() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        let db = KubeTestServer.Workload(kind: "statefulsets", name: "db", replicas: 3)
        try await KubeTestServer.with([db], certificates: certs) { server in
            let masker = SecretMasker(secrets: [KubeTestServer.token])
            let params: [String: Value] = [
                "server": .string(server.url), "token": .string(KubeTestServer.token), "ca_file": .string(certs.caCert),
                "kind": "statefulset", "namespace": "ns", "name": "db", "replicas": 1, "poll": "50ms", "timeout": "20s",
            ]
            let action = KubernetesScaleAction()
            let result = try await action.run(in: request(params, masker: masker))
            #expect(result.outputs["replicas_before"] == 3)
            #expect(result.outputs["replicas_after"] == 1)
            #expect(result.outputs["ready_replicas"] == 1)
            #expect(server.requests().contains { $0["path"] == "/apis/apps/v1/namespaces/ns/statefulsets/db/scale" && $0["method"] == "PATCH" })
            #expect(action.endpoint(for: request(params, masker: masker)) == server.url)
            let literal = await lifeboatError { _ = try await action.run(in: request(params)) }
            #expect(literal?.code == .invalidInput, "a token that is not a secret would be stored with the run")
            #expect(literal?.message.contains("parameter 'token' must come from a secret") == true)
            #expect(literal.map { !$0.description.contains(KubeTestServer.token) } == true)

            // ca_data (PEM text) works the same way.
            var withData = params
            withData["ca_file"] = nil
            withData["ca_data"] = .string(try String(contentsOfFile: certs.caCert, encoding: .utf8))
            withData["replicas"] = 2
            let second = try await action.run(in: request(withData, masker: masker))
            #expect(second.outputs["replicas_before"] == 1)
            #expect(second.outputs["ready_replicas"] == 2)
        }
    }

    @Test func authenticatesWithAClientCertificateFromTheKubeconfig() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        try await KubeTestServer.with([Self.web], certificates: certs) { server in
            // Relative paths in a kubeconfig are relative to its folder.
            try server.directory.write("client.pem", try String(contentsOfFile: certs.clientCert, encoding: .utf8))
            try server.directory.write("client.key", try String(contentsOfFile: certs.clientKey, encoding: .utf8))
            let kubeconfig = try server.kubeconfig(
                caPEM: try String(contentsOfFile: certs.caCert, encoding: .utf8), user: "client-certificate: client.pem\nclient-key: client.key")
            let result = try await KubernetesScaleAction().run(in: request(Self.scaleParams(kubeconfig, replicas: 2)))
            #expect(result.outputs["ready_replicas"] == 2)

            // client-certificate-data / client-key-data, and the key never shows in an error.
            let keyData = Data(try String(contentsOfFile: certs.clientKey, encoding: .utf8).utf8).base64EncodedString()
            let certData = Data(try String(contentsOfFile: certs.clientCert, encoding: .utf8).utf8).base64EncodedString()
            let inline = try server.kubeconfig(
                name: "inline", caPEM: try String(contentsOfFile: certs.caCert, encoding: .utf8),
                user: "client-certificate-data: \(certData)\nclient-key-data: \(keyData)")
            let again = try await KubernetesScaleAction().run(in: request(Self.scaleParams(inline, replicas: 3)))
            #expect(again.outputs["replicas_before"] == 2)
            let missing = await lifeboatError { _ = try await KubernetesScaleAction().run(in: request(Self.scaleParams(inline, replicas: 3, name: "gone"))) }
            #expect(missing?.message.contains("not found") == true)
            #expect(missing.map { !"\($0) \($0.detail ?? "")".contains(keyData) } == true)
        }
    }

    @Test func aRolloutThatNeverBecomesReadyTimesOutNamingTheWorkloadAndTheReadyCount() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        let stuck = KubeTestServer.Workload(name: "stuck", replicas: 1, neverReady: true)
        try await KubeTestServer.with([stuck], certificates: certs) { server in
            let kubeconfig = try Self.tokenKubeconfig(server, certs)
            let error = await lifeboatError {
                _ = try await KubernetesScaleAction().run(in: request(Self.scaleParams(kubeconfig, replicas: 3, name: "stuck", timeout: "1s")))
            }
            #expect(error?.code == .actionFailed)
            #expect(error?.message.contains("deployment ns/stuck did not become ready within 1s: 1 of 3 replicas ready (target 3)") == true)
            #expect(error?.hint?.contains("the scale was applied") == true)
            #expect(server.requests().contains { $0["method"] == "PATCH" })
        }
    }

    @Test func wrongTokenIs401NamingTheContextWithoutTheToken() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        try await KubeTestServer.with([Self.web], certificates: certs) { server in
            let wrong = "wrong-token-abcdefgh"
            let kubeconfig = try Self.tokenKubeconfig(server, certs, token: wrong)
            let error = await lifeboatError { _ = try await KubernetesScaleAction().run(in: request(Self.scaleParams(kubeconfig, replicas: 2))) }
            #expect(error?.message.contains("the API server rejected the credentials") == true)
            #expect(error?.message.contains("check the token / client certificate for context 'test'") == true)
            #expect(error?.retryable == false)
            #expect(error.map { !"\($0) \($0.detail ?? "")".contains(wrong) } == true)
            #expect(!server.requests().contains { $0["method"] == "PATCH" })

            let refused = try await KubernetesScaleAction().preflight(in: request(Self.scaleParams(kubeconfig, replicas: 2)))
            guard case .refused(let why) = refused else { Issue.record("preflight passed with a wrong token"); return }
            #expect(why.contains("rejected the credentials") && !why.contains(wrong))
        }
    }

    @Test func missingPatchPermissionIs403WithTheRBACMessage() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        try await KubeTestServer.with([Self.web], certificates: certs) { server in
            let kubeconfig = try Self.tokenKubeconfig(server, certs, token: KubeTestServer.readonlyToken)
            let error = await lifeboatError { _ = try await KubernetesScaleAction().run(in: request(Self.scaleParams(kubeconfig, replicas: 2))) }
            #expect(error?.message.contains("PATCH deployment ns/web: forbidden (403)") == true)
            #expect(error?.message.contains(#"cannot patch resource "deployments/scale""#) == true, "quotes the Status message")
            #expect(error?.hint?.contains("RBAC") == true)
            #expect(error?.hint?.contains("patch on deployments/scale") == true)
            #expect(error?.retryable == false)
        }
    }

    @Test func unknownWorkloadIs404() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        try await KubeTestServer.with([Self.web], certificates: certs) { server in
            // A tokenFile, relative to the kubeconfig's folder (a service account token mounted as a file).
            try server.directory.write("token", KubeTestServer.token + "\n")
            let kubeconfig = try server.kubeconfig(caPEM: try String(contentsOfFile: certs.caCert, encoding: .utf8), user: "tokenFile: token")
            var params = Self.scaleParams(kubeconfig, replicas: 2)
            params["namespace"] = "elsewhere"
            let error = await lifeboatError { _ = try await KubernetesScaleAction().run(in: request(params)) }
            #expect(error?.message.contains("GET deployment elsewhere/web: not found (404)") == true)
            #expect(error?.message.contains(#"deployments.apps "web" not found"#) == true)
            #expect(error?.retryable == false)
        }
    }

    @Test func conflictsAreRetriedThenSucceedOrReportedAsRetryable() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        let twice = KubeTestServer.Workload(name: "web", replicas: 1, conflicts: 2)
        let always = KubeTestServer.Workload(name: "busy", replicas: 1, conflicts: 100)
        try await KubeTestServer.with([twice, always], certificates: certs) { server in
            let kubeconfig = try Self.tokenKubeconfig(server, certs)
            let result = try await KubernetesScaleAction().run(in: request(Self.scaleParams(kubeconfig, replicas: 2)))
            #expect(result.outputs["ready_replicas"] == 2)
            #expect(server.requests().filter { $0["method"] == "PATCH" && $0["path"]?.contains("/web/") == true }.count == 3)

            let error = await lifeboatError { _ = try await KubernetesScaleAction().run(in: request(Self.scaleParams(kubeconfig, replicas: 2, name: "busy"))) }
            #expect(error?.message.contains("PATCH deployment ns/busy: conflict (409)") == true)
            #expect(error?.message.contains("the object has been modified") == true)
            #expect(error?.retryable == true)
        }
    }

    @Test func anUntrustedServerCertificateIsATLSErrorNamingTheCA() async throws {
        let certs = try await TestCertificates.make()
        let otherCA = try await TestCertificates.make()
        defer { certs.directory.remove(); otherCA.directory.remove() }
        try await KubeTestServer.with([Self.web], certificates: certs) { server in
            let kubeconfig = try server.kubeconfig(
                caPEM: try String(contentsOfFile: otherCA.caCert, encoding: .utf8), user: "token: \(KubeTestServer.token)")
            let error = await lifeboatError { _ = try await KubernetesScaleAction().run(in: request(Self.scaleParams(kubeconfig, replicas: 2))) }
            #expect(error?.message.contains("server certificate not trusted: check certificate-authority") == true)
            #expect(error?.hint?.contains("certificate-authority-data of cluster 'test'") == true)
            #expect(error?.retryable == false)
            #expect(!server.requests().contains { $0["method"] == "PATCH" })
        }
    }

    @Test func preflightAndVerifyReadTheScaleWithoutChangingIt() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        try await KubeTestServer.with([Self.web], certificates: certs) { server in
            let kubeconfig = try Self.tokenKubeconfig(server, certs)
            let action = KubernetesScaleAction()
            let params = Self.scaleParams(kubeconfig, replicas: 3)
            let preflight = try await action.preflight(in: request(params))
            #expect(preflight == .ok("deployment ns/web on \(server.url): 1 replica now, selector app=web; will scale to 3"))
            guard case .notDone(let why) = try await action.verify(in: request(params)) else {
                Issue.record("verify said done before the scale"); return
            }
            #expect(why.contains("has spec.replicas 1, not 3"))
            #expect(!server.requests().contains { $0["method"] != "GET" }, "preflight and verify only read")

            _ = try await action.run(in: request(params))
            guard case .done(let result) = try await action.verify(in: request(params)) else {
                Issue.record("verify did not see the finished scale"); return
            }
            #expect(result.outputs["replicas_after"] == 3)
            #expect(result.outputs["ready_replicas"] == 3)
            // Idempotent: running again changes nothing and reports 3 → 3.
            let again = try await action.run(in: request(params))
            #expect(again.outputs["replicas_before"] == 3)
        }
    }

    @Test func badParametersAndUnusableKubeconfigsAreInvalidInput() async throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let action = KubernetesScaleAction(environment: ["HOME": dir.path])
        func message(_ params: [String: Value]) async -> String? {
            await lifeboatError { _ = try await action.run(in: request(params, base: dir.path)) }?.message
        }
        #expect(await message(["name": "web/../../x", "replicas": 1, "server": "https://127.0.0.1:1"])?.contains("parameter 'name' must be a Kubernetes name") == true)
        #expect(await message(["name": "web", "replicas": -1, "server": "https://127.0.0.1:1"])?.contains("'replicas' must be 0 or more") == true)
        #expect(await message(["name": "web", "replicas": 1, "kind": "daemonset", "server": "https://127.0.0.1:1"])?.contains("must be deployment or statefulset") == true)
        #expect(await message(["name": "web", "replicas": 1, "token": "x1234"])?.contains("'token' needs server: as well") == true)
        #expect(await message(["name": "web", "replicas": 1])?.contains("kubeconfig \(dir.path)/.kube/config does not exist") == true)
        try dir.write("exec.yaml", """
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {exec: {command: aws, args: [eks, get-token]}}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """)
        #expect(await message(["name": "web", "replicas": 1, "kubeconfig": "exec.yaml"])?.contains("exec or auth-provider plugin") == true)
        #expect(await message(["name": "web", "replicas": 1, "kubeconfig": "exec.yaml", "context": "nope"])?.contains("has no context 'nope'") == true)
        try dir.write("broken.yaml", "clusters: [\n  token: hunter2-broken")
        let broken = await message(["name": "web", "replicas": 1, "kubeconfig": "broken.yaml"])
        #expect(broken?.contains("is not valid YAML") == true)
        #expect(broken?.contains("hunter2") == false)
    }
}
