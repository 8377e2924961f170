import Foundation

/// The source of the current wall-clock time: the seam through which domain code reads the time.
///
/// Wall-clock (not monotonic) on purpose: schedules are civil times, so a stepped or suspended
/// clock must be seen as it is.
public protocol WallClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
}
