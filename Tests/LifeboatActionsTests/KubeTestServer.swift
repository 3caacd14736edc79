import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A stand-in Kubernetes API server (python3) on 127.0.0.1 over HTTPS, implementing what
/// `kubernetes.scale` and `kubectl scale` / `kubectl get` use, with the real wire format: discovery
/// (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/apps/v1`, `/apis/autoscaling/v1`), GET of a namespace
/// (kubectl asks after a 404), GET of apps/v1
/// Deployments and StatefulSets, and GET / PATCH (merge, strategic-merge and JSON patch) / PUT of
/// their autoscaling/v1 `scale` subresource. Errors are `Status` objects (401, 403, 404, 409, 415, 422).
///
/// Authentication: the bearer `token` (may do anything), the `readonlyToken` (GET only: a PATCH is
/// 403, as RBAC without patch on deployments/scale answers), or a client certificate with
/// CN=lifeboat-client signed by the test CA. A rollout is simulated: after a change of
/// spec.replicas, observedGeneration catches up after half a step and readyReplicas moves one
/// replica per `stepMs` toward the target; a `neverReady` workload keeps its old ready count. A
/// workload's first `conflicts` writes answer 409. Every request is appended to `logFile` as JSON.
struct KubeTestServer: Sendable {
    /// One deployment or statefulset the server knows.
    struct Workload: Sendable {
        var namespace = "ns"
        var kind = "deployments"
        var name: String
        var replicas: Int
        var neverReady = false
        var conflicts = 0
    }

    static let token = "kube-admin-token-0123456789"
    static let readonlyToken = "kube-viewer-token-9876543210"

    let port: Int
    let directory: TempDir
    var url: String { "https://127.0.0.1:\(port)" }
    var logFile: String { directory.file("requests.jsonl") }

    /// The requests received so far: method, path, query, content_type, body.
    func requests() -> [[String: String]] {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
    }

    /// Writes a kubeconfig with one context `test` (and `other`, pointing at an unused port) and
    /// returns its path. `user` is the YAML of the user entry's fields.
    func kubeconfig(name: String = "kubeconfig", caPEM: String, user: String, currentContext: String = "test", extraServer: String = "https://127.0.0.1:1") throws -> String {
        let ca = Data(caPEM.utf8).base64EncodedString()
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: \(url)
                certificate-authority-data: \(ca)
            - name: other
              cluster:
                server: \(extraServer)
                insecure-skip-tls-verify: true
            users:
            - name: tester
              user:
            \(user.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            contexts:
            - name: test
              context: {cluster: test, user: tester, namespace: ns}
            - name: other
              context: {cluster: other, user: tester}
            current-context: \(currentContext)
            """
        try directory.write(name, text)
        return directory.file(name)
    }

    /// Starts the server with `workloads`, runs `body`, stops it.
    static func with<T: Sendable>(
        _ workloads: [Workload], certificates: TestCertificates, stepMs: Int = 100, _ body: @Sendable (KubeTestServer) async throws -> T
    ) async throws -> T {
        let directory = try TempDir()
        defer { directory.remove() }
        let config: [String: Any] = [
            "token": token, "readonly_token": readonlyToken, "step_ms": stepMs, "log": directory.file("requests.jsonl"),
            "workloads": workloads.map {
                ["namespace": $0.namespace, "kind": $0.kind, "name": $0.name, "replicas": $0.replicas, "never_ready": $0.neverReady,
                 "conflicts": $0.conflicts] as [String: Any]
            },
        ]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: directory.file("config.json")))
        let arguments = ["-c", script, directory.file("config.json"), certificates.serverCert, certificates.serverKey, certificates.caCert]
        let result = try await Subprocess.run(
            .path("/usr/bin/python3"), arguments: Arguments(arguments), input: .none, output: .sequence, error: .discarded
        ) { execution -> T in
            var port = 0
            for try await line in execution.standardOutput.strings() {
                port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                break
            }
            defer { try? execution.send(signal: .kill) }
            guard port > 0 else { throw TestHTTPServer.TestServerError.noPort }
            return try await body(KubeTestServer(port: port, directory: directory))
        }
        return result.closureResult
    }

    static let script = #"""
        import json, ssl, sys, threading, time, uuid
        from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
        from urllib.parse import urlparse

        # argv: config.json [server.pem server.key ca.pem]
        config = json.load(open(sys.argv[1]))
        TOKEN = config.get("token")
        READONLY = config.get("readonly_token")
        CLIENT_CN = config.get("client_cn", "lifeboat-client")
        STEP = config.get("step_ms", 100) / 1000.0
        LOG = config.get("log")
        lock = threading.Lock()
        workloads = {}
        for w in config["workloads"]:
            key = (w["namespace"], w.get("kind", "deployments"), w["name"])
            workloads[key] = {"spec": w["replicas"], "from": w["replicas"], "changed": 0.0, "generation": 1,
                              "version": 1, "never_ready": w.get("never_ready", False), "conflicts": w.get("conflicts", 0),
                              "uid": str(uuid.uuid4())}

        KINDS = {"deployments": "Deployment", "statefulsets": "StatefulSet"}

        def ready_count(w, now):
            steps = int((now - w["changed"]) / STEP)
            if w["never_ready"]:
                return min(w["from"], w["spec"])
            if w["spec"] >= w["from"]:
                return min(w["spec"], w["from"] + steps)
            return max(w["spec"], w["from"] - steps)

        def observed(w, now):
            return w["generation"] if now - w["changed"] >= STEP / 2 else w["generation"] - 1

        def nonzero(d):
            return {k: v for k, v in d.items() if v}

        def workload_object(ns, kind, name, w):
            now = time.time()
            ready = ready_count(w, now)
            pods = ready if w["spec"] < w["from"] else max(ready, w["spec"]) if observed(w, now) == w["generation"] else ready
            labels = {"app": name}
            status = nonzero({"observedGeneration": observed(w, now), "replicas": pods, "readyReplicas": ready,
                              "availableReplicas": ready, "updatedReplicas": pods})
            if kind == "statefulsets":
                status["currentReplicas"] = pods
            return {"kind": KINDS[kind], "apiVersion": "apps/v1",
                    "metadata": {"name": name, "namespace": ns, "uid": w["uid"], "resourceVersion": str(w["version"]),
                                 "generation": w["generation"], "creationTimestamp": "2026-01-01T00:00:00Z", "labels": labels},
                    "spec": {"replicas": w["spec"], "selector": {"matchLabels": labels},
                             "template": {"metadata": {"labels": labels},
                                          "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}}},
                    "status": status}

        def scale_object(ns, kind, name, w):
            obj = workload_object(ns, kind, name, w)
            return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                    "metadata": {"name": name, "namespace": ns, "uid": w["uid"], "resourceVersion": str(w["version"]),
                                 "creationTimestamp": "2026-01-01T00:00:00Z"},
                    "spec": nonzero({"replicas": w["spec"]}),
                    "status": {"replicas": obj["status"].get("replicas", 0), "selector": "app=" + name}}

        def status(code, reason, message, details=None):
            body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                    "reason": reason, "code": code}
            if details:
                body["details"] = details
            return code, body

        def resource(name, kind, verbs, group=None, version=None, short=None, namespaced=True):
            r = {"name": name, "singularName": "" if "/" in name else kind.lower(), "namespaced": namespaced, "kind": kind,
                 "verbs": verbs}
            if group is not None:
                r["group"] = group
                r["version"] = version
            if short:
                r["shortNames"] = short
            return r

        def discovery(path, port):
            if path == "/version":
                return {"major": "1", "minor": "32", "gitVersion": "v1.32.0-lifeboat-test", "gitCommit": "0" * 40,
                        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
                        "compiler": "gc", "platform": "linux/amd64"}
            if path == "/api":
                return {"kind": "APIVersions", "versions": ["v1"],
                        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % port}]}
            if path == "/apis":
                def group(name, versions):
                    gv = [{"groupVersion": name + "/" + v, "version": v} for v in versions]
                    return {"name": name, "versions": gv, "preferredVersion": gv[0]}
                return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group("apps", ["v1"]), group("autoscaling", ["v1"])]}
            if path == "/api/v1":
                return {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                    resource("namespaces", "Namespace", ["create", "delete", "get", "list", "patch", "update", "watch"], short=["ns"], namespaced=False),
                    resource("pods", "Pod", ["create", "delete", "get", "list", "patch", "update", "watch"], short=["po"])]}
            if path == "/apis/apps/v1":
                verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
                return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1", "resources": [
                    resource("deployments", "Deployment", verbs, short=["deploy"]),
                    resource("deployments/scale", "Scale", ["get", "patch", "update"], group="autoscaling", version="v1"),
                    resource("deployments/status", "Deployment", ["get", "patch", "update"]),
                    resource("statefulsets", "StatefulSet", verbs, short=["sts"]),
                    resource("statefulsets/scale", "Scale", ["get", "patch", "update"], group="autoscaling", version="v1"),
                    resource("statefulsets/status", "StatefulSet", ["get", "patch", "update"])]}
            if path == "/apis/autoscaling/v1":
                return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "autoscaling/v1", "resources": [
                    resource("horizontalpodautoscalers", "HorizontalPodAutoscaler", ["get", "list"], short=["hpa"])]}
            return None

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass

            def send_json(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def identity(self):
                auth = self.headers.get("Authorization") or ""
                if auth.startswith("Bearer "):
                    token = auth[len("Bearer "):]
                    if TOKEN and token == TOKEN: return "admin"
                    if READONLY and token == READONLY: return "readonly"
                    return None
                try:
                    cert = self.connection.getpeercert()
                except Exception:
                    cert = None
                if cert:
                    for rdn in cert.get("subject", ()):
                        for k, v in rdn:
                            if k == "commonName" and v == CLIENT_CN: return "admin"
                return None

            def route(self):
                url = urlparse(self.path)
                path = url.path.rstrip("/") or "/"
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if LOG:
                    with lock, open(LOG, "a") as f:
                        f.write(json.dumps({"method": self.command, "path": path, "query": url.query,
                                            "content_type": self.headers.get("Content-Type") or "", "body": body}) + "\n")
                who = self.identity()
                if who is None:
                    return self.send_json(*status(401, "Unauthorized", "Unauthorized"))
                if self.command == "GET":
                    d = discovery(path, self.server.server_address[1])
                    if d is not None:
                        return self.send_json(200, d)
                parts = path.strip("/").split("/")
                if self.command == "GET" and len(parts) == 4 and parts[:3] == ["api", "v1", "namespaces"]:
                    return self.namespace(parts[3])
                # /apis/apps/v1/namespaces/NS/KIND/NAME[/scale]
                if len(parts) in (7, 8) and parts[:4] == ["apis", "apps", "v1", "namespaces"] and parts[5] in KINDS \
                        and (len(parts) == 7 or parts[7] == "scale"):
                    ns, kind, name = parts[4], parts[5], parts[6]
                    sub = parts[7] if len(parts) == 8 else None
                    return self.workload(ns, kind, name, sub, body, who)
                return self.send_json(*status(404, "NotFound", "the server could not find the requested resource"))

            def namespace(self, ns):
                if not any(key[0] == ns for key in workloads):
                    return self.send_json(*status(404, "NotFound", 'namespaces "%s" not found' % ns, {"name": ns, "kind": "namespaces"}))
                return self.send_json(200, {"kind": "Namespace", "apiVersion": "v1",
                    "metadata": {"name": ns, "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, ns)), "resourceVersion": "1",
                                 "creationTimestamp": "2026-01-01T00:00:00Z"},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})

            def workload(self, ns, kind, name, sub, body, who):
                resource_name = kind + ".apps"
                with lock:
                    w = workloads.get((ns, kind, name))
                    if w is None:
                        return self.send_json(*status(404, "NotFound", '%s "%s" not found' % (resource_name, name),
                                                      {"name": name, "group": "apps", "kind": kind}))
                    if self.command == "GET":
                        obj = scale_object(ns, kind, name, w) if sub else workload_object(ns, kind, name, w)
                        return self.send_json(200, obj)
                    if self.command not in ("PATCH", "PUT") or sub != "scale":
                        return self.send_json(*status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"))
                    if who != "admin":
                        verb = "patch" if self.command == "PATCH" else "update"
                        return self.send_json(*status(403, "Forbidden",
                            '%s "%s" is forbidden: User "system:serviceaccount:%s:viewer" cannot %s resource "%s/scale" in API group "apps" in the namespace "%s"'
                            % (resource_name, name, ns, verb, kind, ns), {"name": name, "group": "apps", "kind": kind}))
                    if w["conflicts"] > 0:
                        w["conflicts"] -= 1
                        return self.send_json(*status(409, "Conflict",
                            'Operation cannot be fulfilled on %s "%s": the object has been modified; please apply your changes to the latest version and try again'
                            % (resource_name, name), {"name": name, "group": "apps", "kind": kind}))
                    try:
                        doc = json.loads(body)
                    except ValueError:
                        return self.send_json(*status(400, "BadRequest", "the request body is not JSON"))
                    ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                    replicas = None
                    if self.command == "PUT":
                        if ctype != "application/json":
                            return self.send_json(*status(415, "UnsupportedMediaType", "the body of the request was in an unknown format"))
                        rv = doc.get("metadata", {}).get("resourceVersion")
                        if rv and rv != str(w["version"]):
                            return self.send_json(*status(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been modified; please apply your changes to the latest version and try again' % (resource_name, name)))
                        replicas = doc.get("spec", {}).get("replicas", 0)
                    elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                        replicas = (doc.get("spec") or {}).get("replicas", w["spec"])
                    elif ctype == "application/json-patch+json":
                        replicas = w["spec"]
                        for op in doc:
                            if op.get("path") == "/spec/replicas" and op.get("op") in ("replace", "add"):
                                replicas = op.get("value")
                    else:
                        return self.send_json(*status(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"))
                    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                        return self.send_json(*status(422, "Invalid", 'Scale.autoscaling "%s" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0' % name))
                    if replicas != w["spec"]:
                        now = time.time()
                        w["from"] = ready_count(w, now)
                        w["spec"] = replicas
                        w["changed"] = now
                        w["generation"] += 1
                    w["version"] += 1
                    return self.send_json(200, scale_object(ns, kind, name, w))

            do_GET = do_PATCH = do_PUT = do_POST = do_DELETE = route

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if len(sys.argv) > 3:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2], sys.argv[3])
            if len(sys.argv) > 4:
                context.verify_mode = ssl.CERT_OPTIONAL
                context.load_verify_locations(sys.argv[4])
            server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#
}
