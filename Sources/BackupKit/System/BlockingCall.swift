import Dispatch
import Foundation
import Synchronization

/// Runs blocking work (SQLite, S3 over libcurl) on a thread of its own and waits for it without
/// holding a cooperative thread, up to a timeout and only while the task is not cancelled.
enum BlockingCall {
    private struct State<T> {
        var continuation: CheckedContinuation<T?, Never>?
        var done = false
    }

    /// `body`'s result, or nil when `timeout` passed or the task was cancelled first (the thread
    /// then finishes on its own; its result is dropped).
    static func run<T: Sendable>(name: String, timeout: Duration, _ body: @escaping @Sendable () -> T) async -> T? {
        let state = Mutex(State<T>())
        let resume: @Sendable (T?) -> Void = { value in
            let continuation = state.withLock { state -> CheckedContinuation<T?, Never>? in
                guard !state.done else { return nil }
                state.done = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(returning: value)
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                let cancelled = state.withLock { state -> Bool in
                    if state.done { return true }
                    state.continuation = continuation
                    return false
                }
                if cancelled {
                    continuation.resume(returning: nil)
                    return
                }
                let thread = Thread { resume(body()) }
                thread.name = name
                thread.start()
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) { resume(nil) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<T?, Never>? in
                guard !state.done else { return nil }
                state.done = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(returning: nil)
        }
    }
}
