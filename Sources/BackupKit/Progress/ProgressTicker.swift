import BackupCore
import Synchronization

/// Redraws a progress line while no bytes move (the elapsed time goes on during a dump's first
/// seconds or while the daemon runs the backup): a tick every 250 ms on the `BlockingBridge`
/// until `finish()`.
public final class ProgressTicker: Sendable {
    /// The line being drawn.
    public let progress: TransferProgress
    private let stop = BlockingBridge.Completion()
    private let running = Atomic<Bool>(true)

    /// Starts ticking `progress`.
    public init(_ progress: TransferProgress) {
        self.progress = progress
        BlockingBridge.shared.detach { [progress, stop] in
            while !stop.waitBlocking(timeout: .milliseconds(250)) { progress.tick() }
        }
    }

    /// Stops the ticker and clears the line (before the result is printed); later calls do
    /// nothing. A tick racing the stop draws nothing: the line is finished first.
    public func finish() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        progress.finish()
        stop.finish()
    }
}
