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
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { throw TestS3.Missing(variable: "a free loopback port for the request log proxy") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops accepting.
    func close() { shutdown(listener, Int32(SHUT_RDWR)); Glibc.close(listener) }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            if connected != 0 { Glibc.close(client); Glibc.close(upstream); continue }
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
