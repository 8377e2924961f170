import Foundation
import Glibc

/// The live wall clock: the system's real time (`CLOCK_REALTIME`).
public struct SystemWallClock: WallClock {
    /// Creates the live clock.
    public init() {}

    /// The system's current time.
    public func now() -> Date { Date() }

    /// `CLOCK_BOOTTIME`: never set, and unlike `CLOCK_MONOTONIC` it counts suspend, so a resume
    /// is not mistaken for a clock step.
    public func steadySeconds() -> TimeInterval? {
        var spec = timespec()
        guard clock_gettime(CLOCK_BOOTTIME, &spec) == 0 else { return nil }
        return TimeInterval(spec.tv_sec) + TimeInterval(spec.tv_nsec) / 1e9
    }
}
