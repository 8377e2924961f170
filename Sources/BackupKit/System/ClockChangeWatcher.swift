import CLinux
import Dispatch
import Glibc
import Logging

/// Calls back when the system's wall clock is set discontinuously (NTP step, `date -s`), using a
/// Linux timerfd armed with `TFD_TIMER_CANCEL_ON_SET`: no polling, one idle descriptor.
///
/// A wall-clock timer already fires at once after a forward step; this exists for the backward
/// step, after which the next wake would otherwise be up to the step's size away: the scheduler
/// wakes at once, measures the step and lets wildcard schedules resume at the new time.
final class ClockChangeWatcher: @unchecked Sendable {
    private let fd: Int32
    private let source: any DispatchSourceRead

    /// Starts watching; `onChange` runs on `queue`. Returns nil (and logs) when timerfd is unavailable.
    init?(queue: DispatchQueue, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        let fd = timerfd_create(CLOCK_REALTIME, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        guard fd >= 0 else {
            logger.warning(
                "cannot watch for system clock changes; a backward clock step will delay runs until the next wake",
                metadata: ["error": "\(String(cString: strerror(errno)))"])
            return nil
        }
        guard Self.arm(fd) else {
            logger.warning(
                "cannot arm the clock-change timer; a backward clock step will delay runs until the next wake",
                metadata: ["error": "\(String(cString: strerror(errno)))"])
            close(fd)
            return nil
        }
        self.fd = fd
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler {
            var expirations: UInt64 = 0
            let count = read(fd, &expirations, MemoryLayout<UInt64>.size)
            // ECANCELED means the clock was set; the timer must be armed again to keep watching.
            if count < 0 && errno == ECANCELED {
                _ = Self.arm(fd)
                onChange()
            }
        }
        source.setCancelHandler { close(fd) }
        source.resume()
    }

    /// Stops watching and closes the descriptor.
    func cancel() { source.cancel() }

    /// Arms an absolute timer far in the future that is cancelled whenever the clock is set.
    private static func arm(_ fd: Int32) -> Bool {
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(Int32.max)
        let flags = Int32(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)
        return timerfd_settime(fd, flags, &spec, nil) == 0
    }
}
