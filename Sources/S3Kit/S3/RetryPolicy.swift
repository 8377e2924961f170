/// How long and how patiently a failed request is retried: exponential backoff with full jitter
/// for up to a time budget (a destination's `retryFor`), so a provider's outage of a minute or two
/// costs a wait, not a backup.
public struct RetryPolicy: Sendable, Equatable {
    /// Seconds from the first try after which no retry starts (the destination's `retryFor`).
    public var budget: Double
    /// Tries in all, the first included, on top of the budget (tests and `check` keep this small).
    public var maxAttempts: Int
    /// The backoff ceiling before the first retry, in seconds; it doubles each retry.
    public var baseDelay: Double
    /// The largest backoff ceiling, in seconds.
    public var maxDelay: Double

    /// The default budget: five minutes per request.
    public static let defaultBudget: Double = 300
    /// The default backoff cap: 30 seconds.
    public static let defaultMaxDelay: Double = 30

    /// A policy; the defaults ride out five minutes of refused connections, resets and 503s.
    public init(
        budget: Double = RetryPolicy.defaultBudget, maxAttempts: Int = .max, baseDelay: Double = 0.25,
        maxDelay: Double = RetryPolicy.defaultMaxDelay
    ) {
        self.budget = budget
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `retry` (1-based), given a uniform random `jitter` in 0..<1.
    /// Full jitter would allow waits near zero that hammer a recovering endpoint; the wait is
    /// half the ceiling plus a jittered half.
    public func delay(retry: Int, jitter: Double) -> Double {
        let ceiling = min(maxDelay, baseDelay * Double(1 << min(retry - 1, 20)))
        return ceiling * (0.5 + jitter / 2)
    }

    /// Whether retry number `retry` may start `elapsed` seconds after the first try, waiting `delay` first.
    public func allows(retry: Int, elapsed: Double, delay: Double) -> Bool {
        retry < maxAttempts && elapsed + delay <= budget
    }
}
