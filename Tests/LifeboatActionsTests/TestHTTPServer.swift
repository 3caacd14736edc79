import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A small HTTP(S) server (python3's http.server) on 127.0.0.1 and a free port, alive for the
/// duration of `withServer`'s body and terminated afterwards.
///
/// Routes: `/health` (200 "status: ready"), `/status/N` (status N), `/slow?s=0.5` (200 after a
/// delay), `/echo` (the method, headers and body as JSON), `/secret` (a body with a secret),
/// `/big` (a 5000-byte body ending in END), anything else 404.
enum TestHTTPServer {
    static let script = #"""
        import json, ssl, sys, time
        from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
        from urllib.parse import urlparse, parse_qs

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def reply(self, code, text):
                data = b"" if code in (204, 304) else text.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
            def route(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if url.path == "/health":
                    self.reply(200, "status: ready\nversion 1.2.3\n")
                elif url.path.startswith("/status/"):
                    code = int(url.path.split("/")[2])
                    self.reply(code, "status %d from the test server" % code)
                elif url.path == "/slow":
                    time.sleep(float(query.get("s", ["0.5"])[0]))
                    self.reply(200, "slow but fine")
                elif url.path == "/echo":
                    self.reply(200, json.dumps({"method": self.command, "headers": dict(self.headers), "body": body}))
                elif url.path == "/secret":
                    self.reply(200, "token=hunter2-secret-value")
                elif url.path == "/big":
                    self.reply(200, "A" * 4997 + "END")
                else:
                    self.reply(404, "no such page")
            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = route

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if len(sys.argv) > 2:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
            if len(sys.argv) > 3:
                context.verify_mode = ssl.CERT_REQUIRED
                context.load_verify_locations(sys.argv[3])
            server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    /// Starts the server (TLS when `certificate` is given), runs `body` with its port, stops it.
    static func withServer<T: Sendable>(
        certificate: TestCertificates? = nil, requireClientCertificate: Bool = false, _ body: @Sendable (Int) async throws -> T
    ) async throws -> T {
        var arguments = ["-c", script]
        if let certificate { arguments += [certificate.serverCert, certificate.serverKey] }
        if let certificate, requireClientCertificate { arguments.append(certificate.caCert) }
        let result = try await Subprocess.run(
            .path("/usr/bin/python3"), arguments: Arguments(arguments), input: .none, output: .sequence,
            error: .discarded
        ) { execution -> T in
            var port = 0
            for try await line in execution.standardOutput.strings() {
                port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                break
            }
            defer { try? execution.send(signal: .kill) }
            guard port > 0 else { throw TestServerError.noPort }
            return try await body(port)
        }
        return result.closureResult
    }

    enum TestServerError: Error { case noPort, openssl(String) }
}

/// A throwaway CA, a server certificate for 127.0.0.1 / localhost and a client certificate, both
/// signed by it, made with openssl.
struct TestCertificates: Sendable {
    let directory: TempDir
    var caCert: String { directory.file("ca.pem") }
    var serverCert: String { directory.file("server.pem") }
    var serverKey: String { directory.file("server.key") }
    var clientCert: String { directory.file("client.pem") }
    var clientKey: String { directory.file("client.key") }

    static func make() async throws -> TestCertificates {
        let directory = try TempDir()
        let script = """
            set -e
            cd "$1"
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem \
              -days 2 -subj "/CN=Lifeboat Test CA" -addext "basicConstraints=critical,CA:TRUE" \
              -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr \
              -subj "/CN=localhost" 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
              -extfile ext.cnf 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout client.key -out client.csr \
              -subj "/CN=lifeboat-client" 2>/dev/null
            printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=clientAuth\\n' > client.cnf
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 \
              -extfile client.cnf 2>/dev/null
            """
        let result = try await Subprocess.run(
            .path("/bin/sh"), arguments: ["-c", script, "sh", directory.path], output: .string(limit: 64 * 1024),
            error: .string(limit: 64 * 1024))
        guard case .exited(0) = result.terminationStatus else {
            throw TestHTTPServer.TestServerError.openssl(result.standardError)
        }
        return TestCertificates(directory: directory)
    }
}
