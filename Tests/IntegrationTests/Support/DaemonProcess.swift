import Foundation
import Glibc
import Testing

/// The built `backupd` executable (swift build puts it beside the test bundle).
func backupdBinary() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    for candidate in [".build/debug/backupd", ".build/release/backupd"] {
        let path = root.appendingPathComponent(candidate).path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw TestSetupError("no built backupd under \(root.path)/.build; run `swift build` (scripts/test.sh does)")
}

/// A setup problem that makes a test fail with a clear message.
struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A datagram socket standing in for systemd's notify socket.
final class NotifyListener: @unchecked Sendable {
    let fd: Int32
    let path: String
    private let lock = NSLock()
    private var messages: [(text: String, at: Date)] = []
    private var thread: Thread?

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + 1)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard fd >= 0, bound == 0 else { throw TestSetupError("bind \(path): \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !Thread.current.isCancelled {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    let text = String(decoding: buffer[..<count], as: UTF8.self)
                    let now = Date()
                    lock.withLock { messages.append((text, now)) }
                }
            }
        }
        self.thread = thread
        thread.start()
    }

    /// Every datagram received so far.
    var received: [String] { lock.withLock { messages.map(\.text) } }

    /// When the first datagram containing `text` arrived (stamped by the receiving thread, so a
    /// busy test process's late polling does not count).
    func arrival(of text: String) -> Date? { lock.withLock { messages.first { $0.text.contains(text) }?.at } }

    /// Waits until a datagram contains `text`.
    func waitFor(_ text: String, timeout: TimeInterval) async -> Bool {
        await poll(timeout: timeout) { self.received.contains { $0.contains(text) } }
    }

    private var closed = false

    /// Closes the socket once: a second call must not close whatever descriptor of another test
    /// reused the number meanwhile (a test's defer after its own explicit clean-up did that, and a
    /// parallel test's daemon then found its notify socket refusing).
    func close() {
        let first = lock.withLock {
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        thread?.cancel()
        Glibc.close(fd)
    }
}

/// Polls `condition` every 100 ms until it holds or `timeout` passes.
func poll(timeout: TimeInterval, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// `backupd run` as a child process with its stderr in a file and a notify socket of the test's own.
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    let logPath: String
    let notify: NotifyListener
    private let exitLock = NSLock()
    private var exitTime: Date?

    /// Starts `backupd run --config configPath` (through `launcher`, e.g. `ip netns exec NAME`,
    /// which execs it); logs go to `directory/daemon-N.log`.
    init(configPath: String, directory: String, environment: [String: String] = [:], launcher: [String] = []) throws {
        let index = (try? FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("daemon-") }.count) ?? 0
        logPath = "\(directory)/daemon-\(index).log"
        notify = try NotifyListener(path: "\(directory)/notify-\(index).sock")
        try Data().write(to: URL(fileURLWithPath: logPath))
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let command = launcher + [try backupdBinary(), "run", "--config", configPath, "--log-level", "debug"]
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        env.merge(environment) { $1 }
        process.environment = env
        process.standardError = log
        process.standardOutput = log
        process.terminationHandler = { [weak self] _ in
            let now = Date()
            self?.exitLock.withLock { self?.exitTime = now }
        }
        try process.run()
    }

    /// When the daemon exited (stamped by Foundation's termination handler, not by a poll).
    var exitedAt: Date? { exitLock.withLock { exitTime } }

    /// Everything the daemon logged so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the log contains `text`.
    func waitForLog(_ text: String, timeout: TimeInterval) async -> Bool {
        await poll(timeout: timeout) { log.contains(text) }
    }

    /// Sends a signal to the daemon.
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the daemon to exit; returns its termination status, or nil on timeout.
    func waitForExit(timeout: TimeInterval) async -> Int32? {
        let exited = await poll(timeout: timeout) { !process.isRunning }
        return exited ? process.terminationStatus : nil
    }

    /// Kills the daemon if it still runs and closes the notify socket.
    func cleanUp() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        notify.close()
    }
}
