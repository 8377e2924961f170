import Foundation

/// A proxy in front of radosgw emulating a provider that silently ignores conditional writes: it
/// drops `If-None-Match` and `If-Match` from every request and re-signs it (SigV4 by botocore,
/// with the test credentials read from the environment, never argv), so the PUT succeeds
/// unconditionally. Every other request passes unchanged.
final class ConditionStrippingProxy: @unchecked Sendable {
    /// The endpoint to give backupd.
    let endpoint: URL
    private let listener: PythonListener
    private let directory: URL

    /// Starts the proxy to `upstream` (credentials from `BACKUPD_TEST_S3_*`).
    init(upstream: URL) throws {
        guard let host = upstream.host, let port = upstream.port else {
            throw TestS3.Missing(variable: "BACKUPD_TEST_S3_ENDPOINT (with host and port)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("backupd-strip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.script.write(toFile: directory.path + "/strip.py", atomically: true, encoding: .utf8)
        listener = try PythonListener.start(
            script: directory.path + "/strip.py", arguments: [host, String(port)], what: "the condition-stripping S3 proxy")
        endpoint = URL(string: "http://127.0.0.1:\(listener.port)")!
    }

    /// How many requests had a conditional header stripped.
    var stripped: Int {
        ((try? String(contentsOfFile: directory.path + "/stripped.log", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// Stops the proxy.
    func stop() {
        listener.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private static let script = """
        import http.client, http.server, os, socketserver, sys, threading
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        host, port = sys.argv[1], int(sys.argv[2])
        here = os.path.dirname(os.path.abspath(__file__))
        env = os.environ
        credentials = Credentials(env["BACKUPD_TEST_S3_ACCESS_KEY"], env["BACKUPD_TEST_S3_SECRET_KEY"])
        region = env["BACKUPD_TEST_S3_REGION"]
        lock = threading.Lock()
        CONDITIONAL = ("if-none-match", "if-match")
        SIGNING = ("authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token")
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def handle_any(self):
                length = int(self.headers.get("Content-Length", "0") or "0")
                body = self.rfile.read(length) if length else b""
                headers = list(self.headers.items())
                if any(n.lower() in CONDITIONAL for n, _ in headers):
                    kept = {n: v for n, v in headers if n.lower() not in CONDITIONAL + SIGNING + ("host", "content-length")}
                    request = AWSRequest(method=self.command, url="http://%s:%d%s" % (host, port, self.path), data=body, headers=kept)
                    S3SigV4Auth(credentials, "s3", region).add_auth(request)
                    headers = list(request.headers.items()) + [("Host", "%s:%d" % (host, port)), ("Content-Length", str(len(body)))]
                    with lock:
                        with open(os.path.join(here, "stripped.log"), "a") as f:
                            f.write(self.command + " " + self.path + "\\n")
                upstream = http.client.HTTPConnection(host, port, timeout=60)
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    upstream.putheader(name, value)
                upstream.endheaders(body if body else None)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    dropped = ("transfer-encoding", "connection") + (() if self.command == "HEAD" else ("content-length",))
                    if name.lower() not in dropped:
                        self.send_header(name, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()
            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any
        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
        server = Server(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        def watch_parent():
            sys.stdin.read()
            os._exit(0)
        threading.Thread(target=watch_parent, daemon=True).start()
        server.serve_forever()

        """
}
