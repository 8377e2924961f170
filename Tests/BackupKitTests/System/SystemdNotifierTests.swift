import BackupCore
import BackupKit
import Foundation
import Glibc
import TestThreads
import Testing

/// A datagram socket the test binds itself, standing in for systemd's notify socket.
private final class NotifySocket {
    let fd: Int32
    /// The address in NOTIFY_SOCKET form (`/path` or `@name`).
    let address: String

    init(address: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.address = address
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (bytes[0] == 0 ? 0 : 1))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        try #require(fd >= 0 && bound == 0, "bind \(address): \(String(cString: strerror(errno)))")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// The next datagram as text (nil after five seconds without one).
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count < 0 ? nil : String(decoding: buffer[..<count], as: UTF8.self)
    }
}

@Suite("systemd notifier", .ownThreads)
struct SystemdNotifierTests {
    /// READY, STATUS, STOPPING, RELOADING and WATCHDOG arrive as datagrams on a socket path and an abstract name.
    @Test(arguments: ["path", "abstract"])
    func sendsDatagrams(kind: String) throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let address = kind == "path" ? tmp.path + "/notify" : "@backupd-test-\(UUID().uuidString)"
        let socket = try NotifySocket(address: address)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": address])
        #expect(notifier.isEnabled)

        try notifier.ready(status: "scheduling 3 jobs")
        #expect(socket.receive() == "READY=1\nSTATUS=scheduling 3 jobs")
        try notifier.status("backing up orders\nREADY=1")
        #expect(socket.receive() == "STATUS=backing up orders READY=1", "a newline cannot inject a field")
        try notifier.watchdog()
        #expect(socket.receive() == "WATCHDOG=1")
        try notifier.reloading()
        let reloading = try #require(socket.receive())
        let fields = reloading.split(separator: "\n")
        #expect(fields.first == "RELOADING=1")
        #expect(fields.count == 2 && fields[1].hasPrefix("MONOTONIC_USEC=") && UInt64(fields[1].dropFirst(15)) != nil)
        try notifier.stopping()
        #expect(socket.receive() == "STOPPING=1")
    }

    /// Without NOTIFY_SOCKET every call is a silent no-op.
    @Test func noOpWhenUnset() throws {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        try notifier.ready(status: "x")
        try notifier.watchdog()
        try notifier.stopping()
        #expect(notifier.watchdogInterval == nil)
    }

    /// WATCHDOG_USEC gives the interval, unless WATCHDOG_PID names another process.
    @Test(arguments: [
        (["WATCHDOG_USEC": "30000000"], Duration.seconds(30) as Duration?),
        (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"], .seconds(30)),
        (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4243"], nil),
        (["WATCHDOG_USEC": "0"], nil),
        (["WATCHDOG_USEC": "soon"], nil),
        ([:], nil),
    ])
    func watchdogInterval(environment: [String: String], expected: Duration?) {
        #expect(SystemdNotifier(environment: environment, pid: 4242).watchdogInterval == expected)
    }

    /// Unusable addresses fail with an error naming the address; a vanished socket fails to send.
    @Test func badAddresses() throws {
        #expect(throws: SystemdNotifierError.unsupportedAddress("vsock:2:1234")) {
            try SystemdNotifier(environment: ["NOTIFY_SOCKET": "vsock:2:1234"]).ready()
        }
        let long = "/" + String(repeating: "x", count: 200)
        #expect(throws: SystemdNotifierError.addressTooLong(long)) {
            try SystemdNotifier(environment: ["NOTIFY_SOCKET": long]).ready()
        }
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        do {
            try SystemdNotifier(environment: ["NOTIFY_SOCKET": tmp.path + "/gone"]).ready()
            Issue.record("sent to a socket that does not exist")
        } catch let error as SystemdNotifierError {
            #expect(error.description.contains(tmp.path + "/gone"))
        }
    }
}
