/// A time limit for async work: past it the work is cancelled (its `StopReason` says why) and
/// awaited, so nothing outlives the caller. Replaces the threads that were left behind on a timeout.
public enum TaskDeadline {
    /// `body`'s result, or nil when `timeout` passed first (then `body` was cancelled and has ended).
    public static func run<T: Sendable>(
        timeout: Duration, reason: String, _ body: @escaping @Sendable () async -> T
    ) async -> T? {
        let stop = StopReason(within: StopReason.current)
        return await StopReason.$current.withValue(stop) {
            await withTaskGroup(of: T?.self) { group in
                group.addTask { await body() }
                group.addTask {
                    do { try await Task.sleep(for: timeout) } catch { return nil }
                    stop.set(reason)
                    return nil
                }
                var result: T?
                var first = true
                while let next = await group.next() {
                    // Whichever ends first decides; the other is cancelled and awaited.
                    if first, let value = next { result = value }
                    first = false
                    group.cancelAll()
                }
                return result
            }
        }
    }

    /// Clean-up that must be sent even when the caller was cancelled (marking a claim done): `body`
    /// runs in a task the caller's cancellation does not reach, with `timeout` as its limit, so a
    /// stopping caller is held at most that long. Nil when the timeout passed first.
    public static func uncancelled<T: Sendable>(
        timeout: Duration, reason: String, _ body: @escaping @Sendable () async -> T
    ) async -> T? {
        await Task { await run(timeout: timeout, reason: reason, body) }.value
    }
}
