/// How often and how patiently a failed request is retried: exponential backoff with full jitter.
public struct RetryPolicy: Sendable {
    /// Tries in all, the first included.
    public var maxAttempts: Int
    /// The backoff ceiling before the first retry, in seconds; it doubles each retry.
    public var baseDelay: Double
    /// The largest backoff ceiling, in seconds.
    public var maxDelay: Double

    /// A policy; the defaults ride out a few seconds of a provider's 503s.
    public init(maxAttempts: Int = 6, baseDelay: Double = 0.25, maxDelay: Double = 20) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `retry` (1-based), given a uniform random `jitter` in 0..<1.
    public func delay(retry: Int, jitter: Double) -> Double {
        let ceiling = min(maxDelay, baseDelay * Double(1 << min(retry - 1, 20)))
        return ceiling * jitter
    }
}
