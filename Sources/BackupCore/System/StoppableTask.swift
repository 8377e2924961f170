/// Work in a task of its own that something outside its task tree stops with a reason (a signal, a
/// daemon that begins to stop): `stop` records the reason (the work's `StopReason`) before it
/// cancels the task, so whatever the cancellation ends reads why. Awaiting `value` from a task
/// that gets cancelled cancels the work too (the reason then is the awaiting task's, by nesting).
public struct StoppableTask<Success: Sendable, Failure: Error>: Sendable {
    /// Why the work was stopped (nil while it was not).
    public let stopReason: StopReason
    private let task: Task<Success, Failure>

    /// Records `reason` (unless one was recorded) and cancels the work.
    public func stop(_ reason: String) {
        stopReason.set(reason)
        task.cancel()
    }
}

extension StoppableTask where Failure == Never {
    /// Starts `body` at once, under a stop reason nested in the current one.
    public init(_ body: @escaping @Sendable () async -> Success) {
        let reason = StopReason(within: StopReason.current)
        stopReason = reason
        task = Task { await StopReason.$current.withValue(reason) { await body() } }
    }

    /// The work's result, once it has ended.
    public var value: Success {
        get async { await withTaskCancellationHandler { await task.value } onCancel: { [task] in task.cancel() } }
    }
}

extension StoppableTask where Failure == any Error {
    /// Starts `body` at once, under a stop reason nested in the current one.
    public init(_ body: @escaping @Sendable () async throws -> Success) {
        let reason = StopReason(within: StopReason.current)
        stopReason = reason
        task = Task { try await StopReason.$current.withValue(reason) { try await body() } }
    }

    /// The work's result or error, once it has ended.
    public var value: Success {
        get async throws { try await withTaskCancellationHandler { try await task.value } onCancel: { [task] in task.cancel() } }
    }
}
