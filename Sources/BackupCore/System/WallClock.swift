import Foundation

/// The source of the current wall-clock time: the seam through which domain code reads the time.
///
/// Wall-clock (not monotonic) on purpose: schedules are civil times, so a stepped or suspended
/// clock must be seen as it is.
public protocol WallClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
    /// Seconds on a clock that is never set and counts suspend (`CLOCK_BOOTTIME`), or nil when this
    /// clock has none. The scheduler compares its advance with the wall clock's to measure steps.
    func steadySeconds() -> TimeInterval?
}

extension WallClock {
    /// No steady clock: steps go unmeasured.
    public func steadySeconds() -> TimeInterval? { nil }
}
