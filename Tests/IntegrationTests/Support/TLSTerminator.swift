import Foundation

/// A TLS terminator on a free loopback port in front of a plain-HTTP server, with a throw-away CA
/// made by `openssl` in a temp dir: a small python3 proxy that decrypts the client side and forwards
/// the bytes unchanged, so the Host header (and so SigV4) is what the client sent.
final class TLSTerminator: @unchecked Sendable {
    /// The https endpoint, e.g. https://127.0.0.1:40123.
    let endpoint: URL
    /// The PEM of the CA that signed the server certificate (for `caFile`).
    let caFile: String
    private let directory: URL
    private let listener: PythonListener

    /// Makes the CA and a certificate for 127.0.0.1/localhost, starts the proxy to `upstream`'s
    /// host and port, and returns once it listens.
    init(upstream: URL) throws {
        guard let host = upstream.host, let port = upstream.port else {
            throw TestS3.Missing(variable: "BACKUPD_TEST_S3_ENDPOINT (with host and port)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("backupd-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dir = directory.path
        caFile = "\(dir)/ca.pem"
        let openssl = ClientTool(name: "openssl")
        _ = try openssl.run([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/ca.key", "-out", caFile, "-days", "2",
            "-subj", "/CN=backupd test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ], environment: [:])
        _ = try openssl.run([
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.csr", "-subj", "/CN=localhost",
        ], environment: [:])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: "\(dir)/server.ext", atomically: true, encoding: .utf8)
        _ = try openssl.run([
            "x509", "-req", "-in", "\(dir)/server.csr", "-CA", caFile, "-CAkey", "\(dir)/ca.key", "-set_serial", "2",
            "-days", "2", "-extfile", "\(dir)/server.ext", "-out", "\(dir)/server.pem",
        ], environment: [:])
        try Self.script.write(toFile: "\(dir)/terminator.py", atomically: true, encoding: .utf8)

        // The script prints its port once it listens, so the first line is the readiness signal.
        listener = try PythonListener.start(
            script: "\(dir)/terminator.py", arguments: ["\(dir)/server.pem", "\(dir)/server.key", host, String(port)], what: "the TLS terminator")
        endpoint = URL(string: "https://127.0.0.1:\(listener.port)")!
    }

    /// Stops the proxy and removes the CA and keys.
    func stop() {
        listener.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The proxy: TLS on the client side, plain TCP to the upstream; exits when its stdin closes
    /// (so a crashed test process leaves nothing running).
    private static let script = """
        import os, socket, ssl, sys, threading
        cert, key, host, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        print(listener.getsockname()[1], flush=True)
        def watch_parent():
            sys.stdin.read()
            os._exit(0)
        def pump(source, destination):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    destination.sendall(data)
            except OSError:
                pass
            for s in (source, destination):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        def serve(raw):
            try:
                client = context.wrap_socket(raw, server_side=True)
                upstream = socket.create_connection((host, port))
            except OSError:
                raw.close()
                return
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
            pump(client, upstream)
        threading.Thread(target=watch_parent, daemon=True).start()
        while True:
            raw, _ = listener.accept()
            threading.Thread(target=serve, args=(raw,), daemon=True).start()

        """
}
