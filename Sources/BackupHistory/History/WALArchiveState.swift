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
    /// The WAL files waiting in the server's `pg_wal/archive_status` besides the one pushed, as the
    /// newest push that counted them saw (nil before one did).
    public var waiting: Int?
    /// When that push came.
    public var waitingCounted: Date?

    /// Describes the archive's state.
    public init(
        lastName: String? = nil, lastArchived: Date? = nil, failures: Int = 0, lastFailed: Date? = nil, lastFailedName: String? = nil,
        lastError: String? = nil, waiting: Int? = nil, waitingCounted: Date? = nil
    ) {
        self.waiting = waiting
        self.waitingCounted = waitingCounted
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

    /// Whether the newest count of waiting WAL files is above `limit`.
    public func backlogged(limit: Int?) -> Bool {
        guard let limit, let waiting else { return false }
        return waiting > limit
    }

    /// The archive lag at `now` in seconds (nil before the first file).
    public func lag(now: Date) -> TimeInterval? {
        lastArchived.map { max(0, now.timeIntervalSince($0)) }
    }
}
