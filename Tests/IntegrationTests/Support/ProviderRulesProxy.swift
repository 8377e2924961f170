import Foundation

/// An HTTP proxy in front of radosgw that enforces rules of stricter providers, so the profiles
/// are tested against a server that really refuses: equal non-trailing parts at Complete (R2,
/// MEGA S4: `InvalidPart`), a part-number limit (Scaleway's 1,000, lowered), no DeleteObjects
/// (GCS: 501), and flexible-checksum headers refused (B2: 400). Requests pass unchanged (SigV4
/// still verifies); every refusal is counted.
final class ProviderRulesProxy: @unchecked Sendable {
    /// The endpoint to give backupd.
    let endpoint: URL
    private let listener: PythonListener
    private let directory: URL

    /// Starts the proxy to `upstream` allowing at most `maxParts` parts per upload.
    init(upstream: URL, maxParts: Int) throws {
        guard let host = upstream.host, let port = upstream.port else {
            throw TestS3.Missing(variable: "BACKUPD_TEST_S3_ENDPOINT (with host and port)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("backupd-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.script.write(toFile: directory.path + "/rules.py", atomically: true, encoding: .utf8)
        listener = try PythonListener.start(
            script: directory.path + "/rules.py", arguments: [host, String(port), String(maxParts)], what: "the provider rules proxy")
        endpoint = URL(string: "http://127.0.0.1:\(listener.port)")!
    }

    /// What the proxy refused so far, by rule (`unequal`, `parts`, `delete`, `checksum`).
    func refusals() throws -> [String: Int] {
        let url = directory.appendingPathComponent("refusals.json")
        guard let data = try? Data(contentsOf: url) else { return [:] }
        return (try JSONSerialization.jsonObject(with: data) as? [String: Int]) ?? [:]
    }

    /// Stops the proxy.
    func stop() {
        listener.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private static let script = """
        import http.client, http.server, json, os, re, socketserver, sys, threading
        host, port, max_parts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        here = os.path.dirname(os.path.abspath(__file__))
        sizes = {}
        refusals = {}
        lock = threading.Lock()
        def refuse(rule):
            with lock:
                refusals[rule] = refusals.get(rule, 0) + 1
                with open(os.path.join(here, "refusals.json.tmp"), "w") as f:
                    json.dump(refusals, f)
                os.replace(os.path.join(here, "refusals.json.tmp"), os.path.join(here, "refusals.json"))
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def reply(self, status, code, message):
                body = ("<?xml version=\\"1.0\\" encoding=\\"UTF-8\\"?><Error><Code>%s</Code><Message>%s</Message></Error>" % (code, message)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def handle_any(self):
                length = int(self.headers.get("Content-Length", "0") or "0")
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                params = dict(p.partition("=")[::2] for p in query.split("&") if p)
                for name in self.headers.keys():
                    lower = name.lower()
                    if lower.startswith("x-amz-checksum-") or lower == "x-amz-sdk-checksum-algorithm":
                        refuse("checksum")
                        return self.reply(400, "InvalidArgument", "Unsupported header '%s' received for this API call." % lower)
                if self.command == "POST" and "delete" in params:
                    refuse("delete")
                    return self.reply(501, "NotImplemented", "DeleteObjects is not supported")
                if self.command == "PUT" and "partNumber" in params and "uploadId" in params:
                    if int(params["partNumber"]) > max_parts:
                        refuse("parts")
                        return self.reply(400, "InvalidArgument", "Part number must be an integer between 1 and %d" % max_parts)
                    with lock:
                        sizes[(params["uploadId"], int(params["partNumber"]))] = length
                if self.command == "POST" and "uploadId" in params:
                    numbers = [int(n) for n in re.findall(rb"<PartNumber>(\\d+)</PartNumber>", body)]
                    with lock:
                        lengths = [sizes.get((params["uploadId"], n), -1) for n in sorted(numbers)]
                    if len(set(lengths[:-1])) > 1 or (len(lengths) > 1 and lengths[-1] > lengths[0]):
                        refuse("unequal")
                        return self.reply(400, "InvalidPart", "All non-trailing parts must have the same length.")
                upstream = http.client.HTTPConnection(host, port, timeout=60)
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    upstream.putheader(name, value)
                upstream.endheaders(body if body else None)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                length = response.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
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
