import Foundation

/// A PITR job's WAL archiving as the daemon recorded it: the newest file stored at every
/// destination, and the pushes that failed. `status` and the metrics read it.
public struct WALArchiveState: Sendable, Hashable {
    /// The newest WAL file stored (nil before the first).
    public var lastName: String?
    /// When it was stored.
    public var lastArchived: Date?
    /// Pushes that failed, in all.
    public var failures: Int
    /// When the newest failed push happened.
    public var lastFailed: Date?
    /// The file of the newest failed push.
    public var lastFailedName: String?
    /// Why it failed.
    public var lastError: String?

    /// Describes the archive's state.
    public init(
        lastName: String? = nil, lastArchived: Date? = nil, failures: Int = 0, lastFailed: Date? = nil, lastFailedName: String? = nil,
        lastError: String? = nil
    ) {
        self.lastName = lastName
        self.lastArchived = lastArchived
        self.failures = failures
        self.lastFailed = lastFailed
        self.lastFailedName = lastFailedName
        self.lastError = lastError
    }

    /// Whether the newest push failed (no file was stored after the newest failure).
    public var isFailing: Bool {
        guard let lastFailed else { return false }
        return lastArchived.map { $0 < lastFailed } ?? true
    }

    /// Whether the newest archived file is older than `limit` at `now`.
    public func lags(now: Date, limit: Duration?) -> Bool {
        guard let limit, let lastArchived else { return false }
        return now.timeIntervalSince(lastArchived) > Double(limit.components.seconds)
    }

    /// The archive lag at `now` in seconds (nil before the first file).
    public func lag(now: Date) -> TimeInterval? {
        lastArchived.map { max(0, now.timeIntervalSince($0)) }
    }
}
