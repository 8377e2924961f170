import BackupCore
import BackupEngines
import Logging
import Synchronization

extension BackupRunner {
    /// What one dump stored.
    struct StepResult {
        var step: DumpStep
        /// The first destination's receipt (the same stream, so the same size and digest, everywhere).
        var receipt: StreamReceipt
        /// Every destination's receipt, by destination name.
        var receipts: [String: StreamReceipt]
        var bytesRead: Int64
        var exit: ProcessExit
        var stderr: String
        /// A base backup's start and stop (PITR jobs).
        var baseBackup: BaseBackupInfo? = nil
    }

    /// A step that failed, with what is known of the tool.
    struct StepFailure: Error {
        var error: String
        var exit: ProcessExit?
        var stderr: String
        var interrupted: Bool
        var bytesRead: Int64
        /// The tool's output failed its format check (`DumpCheckError`).
        var checkFailed = false
    }

    /// Deletes (best effort) the objects earlier steps of a run stored at each destination, when a
    /// later step's dump failed its format check: the run writes no manifest, so they would only be
    /// billed until prune removed them as incomplete. Returns the note for the run's error.
    func removeStored(_ results: [StepResult], lanes: [Lane], logger: Logger) async -> String {
        var left: [String] = []
        for lane in lanes {
            guard let store = lane.store else { continue }
            let keys = results.flatMap { $0.receipts[lane.destination.name]?.segments.map(\.key) ?? [] }
            guard !keys.isEmpty else { continue }
            do {
                try await store.delete(keys: keys)
            } catch {
                logger.info("cannot delete the objects of a failed run", metadata: ["s3.destination": "\(lane.destination.name)", "s3.error": "\(error)"])
                left += keys
            }
        }
        let stored = results.map(\.receipt.key).joined(separator: ", ")
        return left.isEmpty
            ? " (\(stored), stored by an earlier step, was deleted)"
            : " (\(left.joined(separator: ", ")) could not be deleted; prune removes it as incomplete)"
    }

    /// Why a step's tool was killed: the job's timeout, or the run was cancelled (the reason is the
    /// task's `StopReason`).
    enum KillReason: Sendable {
        case timeout, cancelled
    }

    /// The first `KillReason` of a step, set by whoever stops it.
    final class KillSwitch: Sendable {
        private let state = Mutex<KillReason?>(nil)

        func withLock<R: Sendable>(_ body: (inout KillReason?) -> R) -> R { state.withLock { body(&$0) } }

        /// Records `reason` unless one was recorded first, and kills `process`.
        func trip(_ reason: KillReason, _ process: any RunningProcess) {
            record(reason)
            process.kill()
        }

        /// Records `reason` unless one was recorded first.
        func record(_ reason: KillReason) {
            state.withLock { if $0 == nil { $0 = reason } }
        }
    }

    /// Runs `body` (a step's uploads) until it ends. When the task is cancelled or `deadline` passes
    /// first, records which in `reason`, kills the tool and cancels `body`, whose uploads abort;
    /// either way returns only once `body` has. On the deadline `body` is cancelled before the tool
    /// is killed, so its uploads end as stopped (parts in flight interrupted, the abort on the short
    /// budget) rather than as a stream that broke while the run went on.
    static func stopping<T: Sendable>(
        _ process: any RunningProcess, reason: KillSwitch, deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () async -> T
    ) async -> T {
        await withTaskCancellationHandler {
            await withTaskGroup(of: T?.self) { group in
                group.addTask { await body() }
                group.addTask {
                    do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return nil }
                    reason.record(.timeout)
                    return nil
                }
                var result: T?
                while let next = await group.next() {
                    // Either the body ended (the clock is stopped) or the clock did (the body is cancelled).
                    if let value = next { result = value }
                    group.cancelAll()
                    if result == nil, reason.withLock({ $0 }) == .timeout { process.kill() }
                }
                return result!
            }
        } onCancel: {
            reason.trip(.cancelled, process)
        }
    }

    /// `duration` in nanoseconds, `Int64.max` when it does not fit (a timeout of "forever").
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
