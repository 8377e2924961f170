import Foundation
import Synchronization

/// A wall clock that only moves when told to, for tests and simulations.
public final class ManualWallClock: WallClock {
    private let current: Mutex<Date>

    /// Creates a clock reading `start`.
    public init(_ start: Date) { current = Mutex(start) }

    /// The time the clock was last set to.
    public func now() -> Date { current.withLock { $0 } }

    /// Sets the clock to `date`, backwards or forwards, like an NTP step.
    public func set(_ date: Date) { current.withLock { $0 = date } }

    /// Moves the clock forward by `seconds` (backward when negative).
    public func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}
