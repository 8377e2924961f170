import BackupCore
import S3Kit

extension RunCancellation {
    /// Runs `body` in a task that this token cancels, with the token's reason as the task's
    /// `StopReason`; cancelling the calling task cancels it too. Throws `S3Error.cancelled` at once
    /// when the token was cancelled before. (The link between a run's token and the async stores.)
    public func bound<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        if let reason { throw S3Error.cancelled(reason: reason) }
        let stop = StopReason()
        let task = Task { try await StopReason.$current.withValue(stop) { try await body() } }
        // The handler holds the task, not the token (see `onCancel`).
        onCancel { reason in
            stop.set(reason)
            task.cancel()
        }
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }
}
