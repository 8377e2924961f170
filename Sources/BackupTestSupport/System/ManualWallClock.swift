import BackupCore
import Foundation
import Synchronization

/// A wall clock that only moves when told to, for tests and simulations, with a steady clock
/// beside it so that time passing (`advance`) and the clock being set (`set`, `step`) differ.
public final class ManualWallClock: WallClock {
    private let current: Mutex<(wall: Date, steady: TimeInterval)>

    /// Creates a clock reading `start`.
    public init(_ start: Date) { current = Mutex((start, 0)) }

    /// The time the clock was last set to.
    public func now() -> Date { current.withLock { $0.wall } }

    /// Seconds that passed through `advance`; steps do not move it.
    public func steadySeconds() -> TimeInterval? { current.withLock { $0.steady } }

    /// Sets the clock to `date`, backwards or forwards, like an NTP step (no time passes).
    public func set(_ date: Date) { current.withLock { $0.wall = date } }

    /// Steps the clock by `seconds` (backward when negative), like `date -s` (no time passes).
    public func step(by seconds: TimeInterval) { current.withLock { $0.wall += seconds } }

    /// Lets `seconds` pass: the wall clock and the steady clock both move.
    public func advance(by seconds: TimeInterval) {
        current.withLock {
            $0.wall += seconds
            $0.steady += seconds
        }
    }
}
