import BackupCore
import Foundation
import Glibc
import Synchronization

/// The daemon's side of one control connection: lines are queued as events happen (from any
/// thread, never blocking the caller) and the connection's task writes them in order through the
/// `BlockingBridge`; the connection closes after the final one. A client that went away or
/// stopped reading (send timeout) is dropped; the run it asked for goes on.
public final class ControlReply: Sendable {
    private let fd: Int32
    private struct Outbox {
        var lines: [Data] = []
        var finished = false
        var stopped = false
        var waiter: CheckedContinuation<[Data]?, Never>?
    }
    private let outbox = Mutex(Outbox())

    init(fd: Int32) {
        self.fd = fd
    }

    /// Sends a line that is not the last.
    public func send(_ event: ControlEvent) {
        enqueue(event, last: false)
    }

    /// Sends the last line and lets the connection close; later calls do nothing.
    public func finish(_ event: ControlEvent) {
        enqueue(event, last: true)
    }

    /// Writes the queued lines until the last one is written, the client is gone, or the task
    /// is cancelled (cancellation shuts the socket down, which ends a blocked write).
    func deliver() async {
        let fd = self.fd
        var alive = true
        while let lines = await next() {
            guard alive else { continue }
            let data = lines.reduce(into: Data()) { $0.append($1) }
            let written = try? await BlockingBridge.shared.run(interrupt: { shutdown(fd, Int32(SHUT_RDWR)) }) {
                UnixSocket.writeAll(fd, data)
            }
            if written != true { alive = false }
        }
    }

    private func enqueue(_ event: ControlEvent, last: Bool) {
        guard var data = try? JSONEncoder().encode(event) else { return }
        data.append(UInt8(ascii: "\n"))
        let waiter = outbox.withLock { box -> CheckedContinuation<[Data]?, Never>? in
            guard !box.finished else { return nil }
            box.lines.append(data)
            box.finished = last
            return box.waiter.take()
        }
        waiter?.resume(returning: takeLines())
    }

    /// Lines queued so far (taken), nil once the last was taken or the task was cancelled.
    private func next() async -> [Data]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Data]?, Never>) in
                let ready = outbox.withLock { box -> Bool in
                    if box.lines.isEmpty && !box.finished && !box.stopped {
                        box.waiter = continuation
                        return false
                    }
                    return true
                }
                if ready { continuation.resume(returning: takeLines()) }
            }
        } onCancel: {
            let waiter = outbox.withLock { box -> CheckedContinuation<[Data]?, Never>? in
                box.stopped = true
                return box.waiter.take()
            }
            waiter?.resume(returning: nil)
        }
    }

    private func takeLines() -> [Data]? {
        outbox.withLock { box -> [Data]? in
            if box.stopped { return nil }
            if box.lines.isEmpty { return box.finished ? nil : [] }
            defer { box.lines.removeAll() }
            return box.lines
        }
    }
}
