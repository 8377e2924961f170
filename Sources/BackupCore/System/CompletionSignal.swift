import Synchronization

/// A one-time event that async code awaits: signalled once from any thread (a pump on the
/// `BlockingBridge` that reached its end); every waiter, before or after the signal, resumes.
public final class CompletionSignal: Sendable {
    private struct State {
        var signalled = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// Not signalled yet.
    public init() {}

    /// Marks the event and resumes everyone waiting for it (later calls do nothing).
    public func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.signalled = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the event was signalled (at once when it was).
    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let signalled = state.withLock { state -> Bool in
                if !state.signalled { state.waiters.append(continuation) }
                return state.signalled
            }
            if signalled { continuation.resume() }
        }
    }
}
