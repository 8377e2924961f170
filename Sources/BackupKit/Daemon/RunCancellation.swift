import Synchronization

/// A way to stop a running backup from outside (shutdown after the grace period, a timeout).
/// Cancelling runs the registered handlers once, e.g. killing the dump tool's process group,
/// which makes the pipeline fail and the upload abort.
public final class RunCancellation: Sendable {
    private struct State {
        var reason: String?
        var handlers: [@Sendable () -> Void] = []
    }
    private let state = Mutex(State())

    /// Creates a token that is not cancelled.
    public init() {}

    /// Why the run was cancelled, or nil while it was not.
    public var reason: String? { state.withLock { $0.reason } }

    /// Cancels once; later calls do nothing.
    public func cancel(reason: String) {
        let handlers: [@Sendable () -> Void] = state.withLock { state in
            guard state.reason == nil else { return [] }
            state.reason = reason
            defer { state.handlers = [] }
            return state.handlers
        }
        for handler in handlers { handler() }
    }

    /// Runs `handler` on cancellation, at once if already cancelled.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.reason != nil { return true }
            state.handlers.append(handler)
            return false
        }
        if runNow { handler() }
    }
}
