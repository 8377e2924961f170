import BackupKit
import Foundation
import Glibc

/// The progress line of `run-now`, `restore` and `verify`: drawn on stderr only when stderr is a
/// terminal and the output is not JSON; a `ProgressTicker` redraws it while no bytes move.
final class TerminalProgress: Sendable {
    private let ticker: ProgressTicker

    /// The line's counters.
    var progress: TransferProgress { ticker.progress }

    /// A progress line labelled `label`, or nil when stderr is not a terminal or `json` is set.
    /// Without `counting` the line shows the elapsed time only.
    static func start(label: String, json: Bool = false, counting: Bool = true) -> TerminalProgress? {
        guard !json, isatty(STDERR_FILENO) == 1 else { return nil }
        return TerminalProgress(label: label, counting: counting)
    }

    private init(label: String, counting: Bool) {
        ticker = ProgressTicker(
            TransferProgress(
                label: label, counting: counting, now: { ProcessInfo.processInfo.systemUptime },
                write: { FileHandleStream.standardError.write($0) }))
    }

    /// Stops the ticker and clears the line (before the result is printed); later calls do nothing.
    func finish() {
        ticker.finish()
    }
}
