import Dispatch

extension RunCancellation {
    /// Blocks for up to `seconds`, returning early (true) when the run is cancelled: the retry
    /// loops' backoff wait, so a stopped run never sleeps out a 30-second backoff.
    public func wait(seconds: Double) -> Bool {
        if reason != nil { return true }
        let semaphore = DispatchSemaphore(value: 0)
        onCancel { _ in semaphore.signal() }
        _ = semaphore.wait(timeout: .now() + .nanoseconds(Int(max(0, seconds) * 1_000_000_000)))
        return reason != nil
    }
}
