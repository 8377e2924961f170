import BackupKit
import Foundation
import Glibc

/// The progress line of `run-now`, `restore` and `verify`: drawn on stderr only when stderr is a
/// terminal and the output is not JSON; a ticker redraws it while no bytes move (the elapsed time
/// goes on during a dump's first seconds or while the daemon runs the backup).
final class TerminalProgress: @unchecked Sendable {
    let progress: TransferProgress
    private let stop = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var running = true

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
        let thread = Thread { [progress, stop, stopped] in
            while stop.wait(timeout: .now() + 0.25) == .timedOut { progress.tick() }
            stopped.signal()
        }
        thread.start()
    }

    /// Stops the ticker and clears the line (before the result is printed); later calls do nothing.
    func finish() {
        let wasRunning = lock.withLock {
            defer { running = false }
            return running
        }
        guard wasRunning else { return }
        stop.signal()
        stopped.wait()
        progress.finish()
    }
}
