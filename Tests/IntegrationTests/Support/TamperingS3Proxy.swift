import Foundation

/// An HTTP proxy in front of radosgw that tampers with ListObjectsV2 answers (and, when told, a
/// CompleteMultipartUpload answer), the faults of issue 16. Everything else passes unchanged
/// (SigV4 still verifies). The mode is read from a file on every request, so a test switches it
/// between commands; every request is logged, DeleteObjects with the keys it carried.
final class TamperingS3Proxy: @unchecked Sendable {
    /// What the proxy does to a ListObjectsV2 answer.
    enum Mode: String, Sendable, CaseIterable {
        /// Nothing.
        case pass
        /// Cuts the body after a data object's `</Contents>`, before the next manifest's (the last such place).
        case truncate
        /// A 200 whose body is not XML.
        case garbage
        /// The first page claims more with token `loop`; the page for `loop` names `loop` again.
        case loop
        /// Like `loop` with a new token every page, a tenth of a second each: a listing that never ends.
        case endless
        /// A data object's `<Contents>` twice.
        case duplicate
        /// A 200 whose body is an `<Error>` (InternalError).
        case error200
        /// CompleteMultipartUpload answered 200 with an `<Error>` (InvalidPart), not passed on.
        case completeError200
    }

    /// The endpoint to give backupd.
    let endpoint: URL
    private let listener: PythonListener
    private let directory: URL

    /// Starts the proxy to `upstream` in mode `pass`.
    init(upstream: URL) throws {
        guard let host = upstream.host, let port = upstream.port else {
            throw TestS3.Missing(variable: "BACKUPD_TEST_S3_ENDPOINT (with host and port)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("backupd-tamper-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.script.write(toFile: directory.path + "/tamper.py", atomically: true, encoding: .utf8)
        try Mode.pass.rawValue.write(toFile: directory.path + "/mode", atomically: true, encoding: .utf8)
        listener = try PythonListener.start(
            script: directory.path + "/tamper.py", arguments: [host, String(port)], what: "the tampering S3 proxy")
        endpoint = URL(string: "http://127.0.0.1:\(listener.port)")!
    }

    /// Switches the mode for the next requests.
    func set(_ mode: Mode) throws {
        try mode.rawValue.write(toFile: directory.path + "/mode", atomically: true, encoding: .utf8)
    }

    /// Every request so far: `method`, `path` (with query) and, for DeleteObjects, its `keys`.
    func requests() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: directory.path + "/requests.log", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// ListObjectsV2 requests so far.
    var listRequests: Int { requests().filter { ($0["path"] as? String)?.contains("list-type=2") == true }.count }

    /// The keys of each DeleteObjects request so far.
    var deleteBatches: [[String]] { requests().compactMap { $0["keys"] as? [String] } }

    /// Stops the proxy.
    func stop() {
        listener.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private static let script = """
        import http.client, http.server, json, os, re, socketserver, sys, threading, time
        host, port = sys.argv[1], int(sys.argv[2])
        here = os.path.dirname(os.path.abspath(__file__))
        lock = threading.Lock()
        counter = [0]
        def mode():
            with open(os.path.join(here, "mode")) as f:
                return f.read().strip()
        def record(entry):
            with lock:
                with open(os.path.join(here, "requests.log"), "a") as f:
                    f.write(json.dumps(entry) + "\\n")
        CONTENTS = re.compile(rb"<Contents>.*?</Contents>", re.S)
        def key_of(block):
            m = re.search(rb"<Key>(.*?)</Key>", block, re.S)
            return m.group(1) if m else b""
        def truncate(body):
            blocks = list(CONTENTS.finditer(body))
            cut = blocks[0].end() if blocks else len(body) // 2
            for a, b in zip(blocks, blocks[1:]):
                if not key_of(a.group(0)).endswith(b".manifest.json") and key_of(b.group(0)).endswith(b".manifest.json"):
                    cut = a.end()
            return body[:cut]
        def duplicate(body):
            for m in CONTENTS.finditer(body):
                if not key_of(m.group(0)).endswith(b".manifest.json"):
                    body = body[:m.end()] + m.group(0) + body[m.end():]
                    # A consistent tamperer: KeyCount agrees, so only the key order gives it away.
                    return re.sub(rb"<KeyCount>(\\d+)</KeyCount>", lambda k: b"<KeyCount>%d</KeyCount>" % (int(k.group(1)) + 1), body)
            return body
        def claim_more(body, token):
            return re.sub(rb"<IsTruncated>false</IsTruncated>",
                          b"<IsTruncated>true</IsTruncated><NextContinuationToken>" + token + b"</NextContinuationToken>", body)
        EMPTY = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                 b'<IsTruncated>true</IsTruncated><NextContinuationToken>%s</NextContinuationToken></ListBucketResult>')
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def answer(self, status, body, headers=()):
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                if not any(n.lower() == "content-type" for n, _ in headers):
                    self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
            def handle_any(self):
                length = int(self.headers.get("Content-Length", "0") or "0")
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                params = dict(p.partition("=")[::2] for p in query.split("&") if p)
                entry = {"method": self.command, "path": self.path}
                if self.command == "POST" and "delete" in params:
                    entry["keys"] = [k.decode() for k in re.findall(rb"<Key>(.*?)</Key>", body, re.S)]
                record(entry)
                current = mode()
                listing = self.command == "GET" and params.get("list-type") == "2"
                if current == "completeError200" and self.command == "POST" and "uploadId" in params:
                    return self.answer(200, b'<?xml version="1.0" encoding="UTF-8"?>\\n<Error><Code>InvalidPart</Code>'
                                       b'<Message>One or more of the specified parts could not be found.</Message></Error>')
                if listing and current == "garbage":
                    return self.answer(200, b"this is not XML, and certainly no backups", [("Content-Type", "text/plain")])
                if listing and current == "error200":
                    return self.answer(200, b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
                                       b'<Message>injected by the tampering proxy</Message></Error>')
                if listing and current in ("loop", "endless") and "continuation-token" in params:
                    if current == "endless":
                        time.sleep(0.1)
                        with lock:
                            counter[0] += 1
                            token = b"t%d" % counter[0]
                    else:
                        token = b"loop"
                    return self.answer(200, EMPTY % token)
                upstream = http.client.HTTPConnection(host, port, timeout=60)
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    upstream.putheader(name, value)
                upstream.endheaders(body if body else None)
                response = upstream.getresponse()
                data = response.read()
                headers = response.getheaders()
                upstream.close()
                if listing and response.status == 200:
                    if current == "truncate":
                        data = truncate(data)
                    elif current == "duplicate":
                        data = duplicate(data)
                    elif current in ("loop", "endless"):
                        data = claim_more(data, b"loop" if current == "loop" else b"t0")
                if self.command == "HEAD":
                    self.send_response(response.status)
                    for name, value in headers:
                        if name.lower() not in ("transfer-encoding", "connection"):
                            self.send_header(name, value)
                    self.end_headers()
                    return
                self.answer(response.status, data, headers)
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
