import Foundation
import Glibc

/// The sd_notify protocol, written directly: datagrams of `KEY=value` lines to the Unix socket
/// named by `NOTIFY_SOCKET` (a path, or an abstract name starting with `@`). Every call is a
/// no-op when the variable is unset (not started by systemd with Type=notify).
public struct SystemdNotifier: Sendable {
    /// The socket address as given in NOTIFY_SOCKET; nil when unset.
    public let socketAddress: String?
    /// How often systemd expects `watchdog()` (WATCHDOG_USEC); nil when the watchdog is off or
    /// meant for another process (WATCHDOG_PID). Ping at half this interval.
    public let watchdogInterval: Duration?

    /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, pid: Int32 = getpid()) {
        let address = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketAddress = address
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == pid } ?? true
        if forUs, let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 {
            watchdogInterval = .microseconds(Int64(clamping: usec))
        } else {
            watchdogInterval = nil
        }
    }

    /// True when there is a service manager to notify.
    public var isEnabled: Bool { socketAddress != nil }

    /// Startup is finished (READY=1), with an optional status line.
    public func ready(status: String? = nil) throws {
        try notify(["READY=1"] + statusField(status))
    }

    /// A one-line status shown by `systemctl status`.
    public func status(_ text: String) throws {
        try notify(statusField(text))
    }

    /// Shutdown has begun (STOPPING=1).
    public func stopping(status: String? = nil) throws {
        try notify(["STOPPING=1"] + statusField(status))
    }

    /// A configuration reload has begun (RELOADING=1 with MONOTONIC_USEC); send `ready()` when done.
    public func reloading(status: String? = nil) throws {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        try notify(["RELOADING=1", "MONOTONIC_USEC=\(usec)"] + statusField(status))
    }

    /// Keep-alive for WatchdogSec= (WATCHDOG=1).
    public func watchdog() throws {
        try notify(["WATCHDOG=1"])
    }

    /// Sends `fields` (each `KEY=value`, without newlines) as one datagram.
    public func notify(_ fields: [String]) throws {
        guard let address = socketAddress, !fields.isEmpty else { return }
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(address.utf8)
        switch pathBytes.first {
        case UInt8(ascii: "/"): break
        case UInt8(ascii: "@"): pathBytes[0] = 0  // abstract namespace: a leading NUL, no terminator
        default: throw SystemdNotifierError.unsupportedAddress(address)
        }
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        guard pathBytes.count < capacity else { throw SystemdNotifierError.addressTooLong(address) }
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        // Abstract names are exactly as long as given; paths carry their NUL terminator.
        let length = socklen_t(pathOffset + pathBytes.count + (pathBytes[0] == 0 ? 0 : 1))

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemdNotifierError.socketFailed(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let message = Array(fields.joined(separator: "\n").utf8)
        let sent = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                message.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), address, length)
                }
            }
        }
        guard sent == message.count else {
            throw SystemdNotifierError.sendFailed(address: address, reason: String(cString: strerror(errno)))
        }
    }

    /// STATUS= with newlines folded, so a status cannot inject other fields.
    private func statusField(_ text: String?) -> [String] {
        guard let text else { return [] }
        return ["STATUS=" + text.split(whereSeparator: \.isNewline).joined(separator: " ")]
    }
}
