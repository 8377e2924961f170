import CLinux
import Dispatch
import Glibc
import Logging
import Synchronization

/// Tells when the system's wall clock is set discontinuously (NTP step, `date -s`), using a
/// Linux timerfd armed with `TFD_TIMER_CANCEL_ON_SET`: no polling, one idle descriptor.
///
/// A wall-clock timer already fires at once after a forward step; this exists for the backward
/// step, after which the next wake would otherwise be up to the step's size away: the scheduler
/// wakes at once, measures the step and lets wildcard schedules resume at the new time.
///
/// `nextChange()` blocks in `poll(2)` on the `BlockingBridge`; cancelling the awaiting task arms
/// the timer to expire at once, which ends the read. (`init(queue:…)` and `cancel()` serve the
/// queue-based scheduler the same way from a detached bridge job.)
package final class ClockChangeWatcher: Sendable {
    private let fd: Int32
    private let callbacks: CallbackLoop?

    /// Opens and arms the timer. Returns nil (and logs) when timerfd is unavailable.
    init?(logger: Logger) {
        guard let fd = Self.open(logger: logger) else { return nil }
        self.fd = fd
        callbacks = nil
    }

    /// Starts watching; `onChange` runs on `queue` after each change until `cancel()`. Returns
    /// nil (and logs) when timerfd is unavailable. (For the queue-based scheduler.)
    package init?(queue: DispatchQueue, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        guard let fd = Self.open(logger: logger) else { return nil }
        self.fd = fd
        let loop = CallbackLoop()
        callbacks = loop
        BlockingBridge.shared.detach {
            // The flag is read after every read and re-arm, so a stop is never missed; the
            // descriptor is closed here, under the lock `cancel` takes, once no read can use it.
            while !loop.closeIfStopped(fd) {
                if Self.readChange(fd) {
                    queue.async(execute: onChange)
                } else {
                    _ = Self.arm(fd)
                }
            }
        }
    }

    deinit {
        if callbacks != nil { cancel() } else { close(fd) }
    }

    /// Returns once the wall clock was set; throws `CancellationError` when the task is cancelled.
    func nextChange() async throws { try await Self.nextChange(fd) }

    /// Stops the callbacks of `init(queue:logger:onChange:)`.
    package func cancel() {
        callbacks?.stop { _ = Self.expireNow(fd) }
    }

    private static func nextChange(_ fd: Int32) async throws {
        while true {
            if try await BlockingBridge.shared.run(interrupt: { _ = expireNow(fd) }, { readChange(fd) }) { return }
            // An expiry (our interrupt) or EINTR: re-arm and read again unless cancelled.
            try Task.checkCancellation()
            _ = arm(fd)
        }
    }

    /// Blocks until the clock was set (true, the timer armed again) or the timer expired (false).
    private static func readChange(_ fd: Int32) -> Bool {
        // Poll, then read the non-blocking descriptor (as an LD_PRELOAD clock shim expects too).
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&ready, 1, -1) < 0 && errno == EINTR {}
        var expirations: UInt64 = 0
        let count = read(fd, &expirations, MemoryLayout<UInt64>.size)
        // ECANCELED means the clock was set; the timer must be armed again to keep watching.
        guard count < 0 && errno == ECANCELED else { return false }
        _ = arm(fd)
        return true
    }

    private static func open(logger: Logger) -> Int32? {
        let fd = timerfd_create(CLOCK_REALTIME, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        guard fd >= 0 else {
            logger.warning(
                "cannot watch for system clock changes; a backward clock step will delay runs until the next wake",
                metadata: ["error": "\(String(cString: strerror(errno)))"])
            return nil
        }
        guard arm(fd) else {
            logger.warning(
                "cannot arm the clock-change timer; a backward clock step will delay runs until the next wake",
                metadata: ["error": "\(String(cString: strerror(errno)))"])
            close(fd)
            return nil
        }
        return fd
    }

    /// Arms an absolute timer far in the future that is cancelled whenever the clock is set.
    private static func arm(_ fd: Int32) -> Bool {
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(Int32.max)
        let flags = Int32(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)
        return timerfd_settime(fd, flags, &spec, nil) == 0
    }

    /// Makes the timer expire at once, which ends a blocked read.
    private static func expireNow(_ fd: Int32) -> Bool {
        var spec = itimerspec()
        spec.it_value.tv_nsec = 1
        return timerfd_settime(fd, 0, &spec, nil) == 0
    }
}

/// The stop flag of the callback loop, and when its descriptor is closed.
private final class CallbackLoop: Sendable {
    private let state = Mutex((stopped: false, closed: false))

    /// Marks the loop stopped and runs `wake` unless the descriptor is closed already.
    func stop(wake: () -> Void) {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            if !state.closed { wake() }
        }
    }

    /// Closes `fd` and returns true when the loop was stopped.
    func closeIfStopped(_ fd: Int32) -> Bool {
        state.withLock { state in
            guard state.stopped else { return false }
            if !state.closed { close(fd) }
            state.closed = true
            return true
        }
    }
}
