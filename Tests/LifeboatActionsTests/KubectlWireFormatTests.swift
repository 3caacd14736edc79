import Foundation
import LifeboatActions
import LifeboatCore
import Subprocess
import Testing

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Checks `KubeTestServer` against the real client: `kubectl` (installed by scripts/install-deps)
/// scales and reads through it, so the paths, JSON and errors the action is tested with are the ones
/// kubectl sends and understands. Serialized, like the action's suite, to keep the load low.
@Suite("kubernetes.scale wire format, checked with kubectl", .serialized)
struct KubectlWireFormatTests {
    struct KubectlResult {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `kubectl --kubeconfig F --cache-dir D ARGS…` (no shell).
    static func kubectl(_ kubeconfig: String, cache: String, _ arguments: [String]) async throws -> KubectlResult {
        let result = try await Subprocess.run(
            .name("kubectl"), arguments: Arguments(["--kubeconfig", kubeconfig, "--cache-dir", cache, "--request-timeout", "20s"] + arguments),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let status: Int32
        switch result.terminationStatus {
        case .exited(let code): status = code
        default: status = -1
        }
        return KubectlResult(status: status, output: result.standardOutput, error: result.standardError)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func kubectlScalesAndReadsWhatTheActionScalesAndReads() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        let workloads = [KubeTestServer.Workload(name: "web", replicas: 1), .init(kind: "statefulsets", name: "db", replicas: 3)]
        try await KubeTestServer.with(workloads, certificates: certs) { server in
            let kubeconfig = try server.kubeconfig(
                caPEM: try String(contentsOfFile: certs.caCert, encoding: .utf8), user: "token: \(KubeTestServer.token)")
            let cache = server.directory.file("kubectl-cache")

            let scaled = try await Self.kubectl(kubeconfig, cache: cache, ["scale", "deployment/web", "--replicas=3", "-n", "ns"])
            #expect(scaled.status == 0, "kubectl scale failed: \(scaled.error)")
            #expect(scaled.output.contains("deployment.apps/web scaled"))
            let kubectlPatch = try #require(server.requests().last { $0["method"] == "PATCH" })
            #expect(kubectlPatch["path"] == "/apis/apps/v1/namespaces/ns/deployments/web/scale")
            #expect(kubectlPatch["content_type"] == "application/merge-patch+json", "the action sends the same patch type")
            #expect(kubectlPatch["body"] == #"{"spec":{"replicas":3}}"#, "and the same body")

            let got = try await Self.kubectl(kubeconfig, cache: cache, ["get", "deployment", "web", "-n", "ns", "-o", "json"])
            #expect(got.status == 0, "kubectl get failed: \(got.error)")
            let deployment = try Self.json(got.output)
            #expect(deployment["kind"] as? String == "Deployment")
            #expect((deployment["spec"] as? [String: Any])?["replicas"] as? Int == 3)

            let raw = try await Self.kubectl(kubeconfig, cache: cache, ["get", "--raw", "/apis/apps/v1/namespaces/ns/deployments/web/scale"])
            #expect(raw.status == 0, "kubectl get --raw failed: \(raw.error)")
            let scale = try Self.json(raw.output)
            #expect(scale["kind"] as? String == "Scale")
            #expect(scale["apiVersion"] as? String == "autoscaling/v1")
            #expect((scale["spec"] as? [String: Any])?["replicas"] as? Int == 3)
            #expect((scale["status"] as? [String: Any])?["selector"] as? String == "app=web")

            // What kubectl did, the action sees as done; what the action does, kubectl reads.
            let params: [String: Value] = [
                "kubeconfig": .string(kubeconfig), "namespace": "ns", "name": "web", "replicas": 3, "poll": "50ms", "timeout": "20s",
            ]
            let action = KubernetesScaleAction()
            let first = try await action.run(in: request(params))
            #expect(first.outputs["replicas_before"] == 3)
            var five = params
            five["replicas"] = 5
            _ = try await action.run(in: request(five))
            let after = try await Self.kubectl(kubeconfig, cache: cache, ["get", "deployment", "web", "-n", "ns", "-o", "json"])
            let status = try #require(try Self.json(after.output)["status"] as? [String: Any])
            #expect(status["readyReplicas"] as? Int == 5)

            let sts = try await Self.kubectl(kubeconfig, cache: cache, ["scale", "statefulset/db", "--replicas=2", "-n", "ns"])
            #expect(sts.status == 0, "kubectl scale statefulset failed: \(sts.error)")
            #expect(sts.output.contains("statefulset.apps/db scaled"))
        }
    }

    @Test func kubectlReadsTheTestServersErrorStatusObjects() async throws {
        let certs = try await TestCertificates.make()
        defer { certs.directory.remove() }
        try await KubeTestServer.with([KubeTestServer.Workload(name: "web", replicas: 1)], certificates: certs) { server in
            let ca = try String(contentsOfFile: certs.caCert, encoding: .utf8)
            let good = try server.kubeconfig(caPEM: ca, user: "token: \(KubeTestServer.token)")
            let cache = server.directory.file("kubectl-cache")
            let missing = try await Self.kubectl(good, cache: cache, ["get", "deployment", "nope", "-n", "ns", "-o", "json"])
            #expect(missing.status != 0)
            #expect(missing.error.contains(#"Error from server (NotFound): deployments.apps "nope" not found"#), "\(missing.error)")

            let viewer = try server.kubeconfig(name: "viewer", caPEM: ca, user: "token: \(KubeTestServer.readonlyToken)")
            let forbidden = try await Self.kubectl(viewer, cache: cache, ["scale", "deployment/web", "--replicas=2", "-n", "ns"])
            #expect(forbidden.status != 0)
            #expect(forbidden.error.contains("Error from server (Forbidden)"), "\(forbidden.error)")
            #expect(forbidden.error.contains(#"cannot patch resource "deployments/scale""#))

            let wrong = try server.kubeconfig(name: "wrong", caPEM: ca, user: "token: wrong-token-0000")
            let unauthorized = try await Self.kubectl(wrong, cache: server.directory.file("cache-wrong"), ["get", "deployment", "web", "-n", "ns", "-o", "json"])
            #expect(unauthorized.status != 0)
            #expect(unauthorized.error.contains("You must be logged in to the server"), "\(unauthorized.error)")
        }
    }
}
