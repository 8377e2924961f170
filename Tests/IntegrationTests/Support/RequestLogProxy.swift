import Foundation
import Glibc

/// A loopback HTTP/1.1 proxy in front of the S3 server that records the method, target and
/// headers of every request it forwards (bodies are forwarded by their Content-Length): the wire
/// log that proves which requests a client sent.
final class RequestLogProxy: @unchecked Sendable {
    /// One forwarded request.
    struct Request: Sendable {
        var method: String
        var target: String
        var headers: [(name: String, value: String)]

        /// The value of a header (case-insensitive), if sent.
        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    let port: Int
    private let listener: Int32
    private let upstreamPort: UInt16
    private let lock = NSLock()
    private var recorded: [Request] = []

    /// Every request forwarded so far, in the order their headers arrived.
    var requests: [Request] { lock.withLock { recorded } }

    init(upstreamPort: Int) throws {
        self.upstreamPort = UInt16(upstreamPort)
        (listener, port) = try LoopbackSocket.listen(what: "the request log proxy")
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops accepting.
    func close() { shutdown(listener, Int32(SHUT_RDWR)); Glibc.close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            guard let upstream = LoopbackSocket.connect(port: upstreamPort) else { Glibc.close(client); continue }
            Thread { [self] in requests(from: client, to: upstream) }.start()
            Thread { Self.pump(from: upstream, to: client) }.start()
        }
    }

    /// Forwards the client's bytes, parsing each request's head and skipping its body.
    private func requests(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var pending: [UInt8] = []
        var bodyLeft = 0
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            let n = recv(source, &buffer, buffer.count, 0)
            if n <= 0 { break }
            guard Self.send(buffer, count: n, to: destination) else { break }
            var chunk = buffer[..<n]
            while !chunk.isEmpty {
                if bodyLeft > 0 {
                    let skip = min(bodyLeft, chunk.count)
                    bodyLeft -= skip
                    chunk = chunk.dropFirst(skip)
                    continue
                }
                pending.append(contentsOf: chunk)
                chunk = []
                guard let end = Self.find(separator, in: pending) else { break }
                let head = String(decoding: pending[..<end], as: UTF8.self)
                let rest = pending[(end + 4)...]
                pending = []
                let request = Self.parse(head)
                lock.withLock { recorded.append(request) }
                bodyLeft = Int(request.header("content-length") ?? "0") ?? 0
                chunk = ArraySlice(rest)
            }
        }
        shutdown(destination, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }

    private static func parse(_ head: String) -> Request {
        let lines = head.components(separatedBy: "\r\n")
        let first = lines.first?.split(separator: " ") ?? []
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Request(
            method: first.first.map(String.init) ?? "", target: first.count > 1 ? String(first[1]) : "", headers: headers)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }

    private static func send(_ buffer: [UInt8], count: Int, to destination: Int32) -> Bool {
        var sent = 0
        while sent < count {
            let m = buffer.withUnsafeBytes { Glibc.send(destination, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
            if m <= 0 { return false }
            sent += m
        }
        return true
    }

    private static func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(source, &buffer, buffer.count, 0)
            if n <= 0 || !send(buffer, count: n, to: destination) { break }
        }
        shutdown(destination, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }
}
