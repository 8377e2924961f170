import Foundation
import Glibc
import Synchronization

/// A small HTTP/1.1 server of the tests' own on 127.0.0.1 (a free port): it records every request
/// (method, path with query, headers, body) and answers with a status the test chooses, after an
/// optional delay, so webhooks, healthchecks pings and failing endpoints can be asserted.
final class TestHTTPServer: Sendable {
    /// One request received.
    struct Request: Sendable {
        var method: String
        var target: String
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
        var query: String { target.contains("?") ? String(target.split(separator: "?", maxSplits: 1)[1]) : "" }
    }

    let port: Int
    private let fd: Int32
    private let received = Mutex<[Request]>([])
    private let behaviour: Mutex<(status: Int, delay: Double)>

    /// Listens at once; answers `status` after `delay` seconds.
    init(status: Int = 200, delay: Double = 0) throws {
        behaviour = Mutex((status, delay))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw TestSetupError("test HTTP server cannot listen: \(String(cString: strerror(errno)))") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Changes the answer for later requests.
    func respond(status: Int, delay: Double = 0) { behaviour.withLock { $0 = (status, delay) } }

    /// Every request so far.
    var requests: [Request] { received.withLock { $0 } }

    /// Waits until `count` requests arrived (or `timeout` passed) and returns them.
    func waitFor(_ count: Int, timeout: Double = 20) -> [Request] {
        let deadline = Date().addingTimeInterval(timeout)
        while received.withLock({ $0.count }) < count && Date() < deadline { usleep(20_000) }
        return requests
    }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let handler = Thread { [self] in
                handle(client)
                close(client)
            }
            handler.start()
        }
    }

    private func handle(_ client: Int32) {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data.append(contentsOf: buffer[..<n])
            if headerEnd == nil, let end = Self.find([13, 10, 13, 10], in: data) {
                headerEnd = end + 4
                let head = String(decoding: data[..<end], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, data.count >= headerEnd + contentLength { break }
        }
        guard let headerEnd else { return }
        let head = String(decoding: data[..<(headerEnd - 4)], as: UTF8.self).split(separator: "\r\n")
        let requestLine = head.first?.split(separator: " ") ?? []
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = Request(
            method: requestLine.first.map(String.init) ?? "", target: requestLine.count > 1 ? String(requestLine[1]) : "",
            headers: headers, body: Array(data[headerEnd..<min(data.count, headerEnd + contentLength)]))
        received.withLock { $0.append(request) }
        let (status, delay) = behaviour.withLock { $0 }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        let response = Array("HTTP/1.1 \(status) X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
        _ = response.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}
