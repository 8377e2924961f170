import BackupCore
import BackupKit
import Foundation
import Glibc
import Synchronization

/// The progress line of `run-now`, `restore` and `verify`: drawn on stderr only when stderr is a
/// terminal and the output is not JSON; a ticker on the `BlockingBridge` redraws it while no
/// bytes move (the elapsed time goes on during a dump's first seconds or while the daemon runs
/// the backup).
final class TerminalProgress: Sendable {
    let progress: TransferProgress
    private let stop = BlockingBridge.Completion()
    private let running = Atomic<Bool>(true)

    /// A progress line labelled `label`, or nil when stderr is not a terminal or `json` is set.
    /// Without `counting` the line shows the elapsed time only.
    static func start(label: String, json: Bool = false, counting: Bool = true) -> TerminalProgress? {
        guard !json, isatty(STDERR_FILENO) == 1 else { return nil }
        return TerminalProgress(label: label, counting: counting)
    }

    private init(label: String, counting: Bool) {
        progress = TransferProgress(
            label: label, counting: counting, now: { ProcessInfo.processInfo.systemUptime },
            write: { FileHandleStream.standardError.write($0) })
        BlockingBridge.shared.detach { [progress, stop] in
            while !stop.waitBlocking(timeout: .milliseconds(250)) { progress.tick() }
        }
    }

    /// Stops the ticker and clears the line (before the result is printed); later calls do
    /// nothing. A tick racing the stop draws nothing: the line is finished first.
    func finish() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        progress.finish()
        stop.finish()
    }
}
