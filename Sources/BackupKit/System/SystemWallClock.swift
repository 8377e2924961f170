import Foundation

/// The live wall clock: the system's real time (`CLOCK_REALTIME`).
public struct SystemWallClock: WallClock {
    /// Creates the live clock.
    public init() {}

    /// The system's current time.
    public func now() -> Date { Date() }
}
