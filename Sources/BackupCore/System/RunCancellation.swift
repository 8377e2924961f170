import Synchronization

/// A way to stop a running backup from outside (shutdown after the grace period, a timeout).
/// Cancelling runs the registered handlers once, e.g. killing the dump tool's process group,
/// which makes the pipeline fail and the upload abort.
public final class RunCancellation: Sendable {
    private struct State {
        var reason: String?
        var handlers: [@Sendable (String) -> Void] = []
    }
    private let state = Mutex(State())

    /// Creates a token that is not cancelled.
    public init() {}

    /// Why the run was cancelled, or nil while it was not.
    public var reason: String? { state.withLock { $0.reason } }

    /// Cancels once; later calls do nothing.
    public func cancel(reason: String) {
        let handlers: [@Sendable (String) -> Void] = state.withLock { state in
            guard state.reason == nil else { return [] }
            state.reason = reason
            defer { state.handlers = [] }
            return state.handlers
        }
        for handler in handlers { handler(reason) }
    }

    /// Runs `handler` with the reason on cancellation, at once if already cancelled. The token
    /// keeps `handler` until it is cancelled or released: a handler must not capture the token
    /// (take the reason from its argument), or token, handler and what it captures (a dump tool's
    /// process and pipes) are never freed.
    public func onCancel(_ handler: @escaping @Sendable (_ reason: String) -> Void) {
        let reason = state.withLock { state -> String? in
            if let reason = state.reason { return reason }
            state.handlers.append(handler)
            return nil
        }
        if let reason { handler(reason) }
    }
}
