import BackupCore
import Foundation
import Logging

extension MultipartUploader {
    /// Seconds an abort after a failure is retried.
    static let abortBudget: Double = 30
    /// Seconds an abort after a cancellation is retried (SIGTERM's grace is short).
    static let cancelledAbortBudget: Double = 5

    /// Aborts a failed upload with a short budget, also when the uploading task was cancelled;
    /// when even that fails, the upload is kept as abort pending for the sweeper (and logged), so
    /// its parts do not stay billed.
    func abort(key: String, uploadID: String, cancelled: Bool, log: Logger) async {
        let budget = min(client.settings.retry.budget, cancelled ? MultipartUploader.cancelledAbortBudget : MultipartUploader.abortBudget)
        let failure: (any Error)? = await Self.uncancelled { [client] in
            do {
                // The budget bounds the retries; the deadline also ends a request stalled on a dead endpoint.
                try await Self.withDeadline(seconds: budget + 1, reason: "the abort took longer than \(Int(budget)) s") {
                    try await client.abortMultipartUpload(key: key, uploadID: uploadID, budget: budget)
                }
                return nil
            } catch {
                return error
            }
        }
        guard let failure else {
            log.info("upload aborted")
            return
        }
        log.warning("abort failed; kept as abort pending for the sweeper", metadata: ["s3.error": "\(failure)"])
        guard let abortLedger else { return }
        do {
            try abortLedger.ledger.recordPendingAbort(
                PendingAbort(
                    destination: abortLedger.destination, bucket: client.settings.bucket, key: key, uploadID: uploadID,
                    since: now(), lastError: "\(failure)"))
        } catch {
            log.error("cannot record the pending abort in the history", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `body` in a task of its own that the caller's cancellation does not reach, and waits
    /// for it: the clean-up after a cancelled upload (abort, delete) must still be sent.
    static func uncancelled<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        await Task { await body() }.value
    }

    /// `body`, cancelled after `seconds` (throwing `S3Error.cancelled(reason)`) unless it ended first.
    static func withDeadline<T: Sendable>(
        seconds: Double, reason: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let stop = StopReason()
        return try await StopReason.$current.withValue(stop) {
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    try await Task.sleep(for: .seconds(seconds))
                    stop.set(reason)
                    return nil
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let value = next { return value }
                    group.cancelAll()  // the deadline passed: `body` ends with S3Error.cancelled(reason)
                }
                throw S3Error.cancelled(reason: reason)
            }
        }
    }
}
