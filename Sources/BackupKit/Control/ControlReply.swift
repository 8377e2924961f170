import Dispatch
import Foundation
import Glibc
import Synchronization

/// The daemon's side of one control connection: lines are written as events happen; the
/// connection closes after the final one. A client that went away or stopped reading (send
/// timeout) is dropped; the run it asked for goes on.
public final class ControlReply: Sendable {
    private let fd: Int32
    private let alive = Atomic<Bool>(true)
    private let finished = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let writeLock = Mutex<Void>(())

    init(fd: Int32) {
        self.fd = fd
    }

    /// Sends a line that is not the last.
    public func send(_ event: ControlEvent) {
        guard !finished.load(ordering: .acquiring) else { return }
        write(event)
    }

    /// Sends the last line and lets the connection close; later calls do nothing.
    public func finish(_ event: ControlEvent) {
        guard finished.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        write(event)
        done.signal()
    }

    /// Blocks the connection's thread until `finish`.
    func waitUntilFinished() { done.wait() }

    private func write(_ event: ControlEvent) {
        guard alive.load(ordering: .acquiring), var data = try? JSONEncoder().encode(event) else { return }
        data.append(UInt8(ascii: "\n"))
        writeLock.withLock { _ in
            if !UnixSocket.writeAll(fd, data) { alive.store(false, ordering: .releasing) }
        }
    }
}
