import Foundation

/// A filter over the history, newest first.
public struct HistoryQuery: Sendable, Hashable {
    /// Only this job's runs.
    public var job: String?
    /// Only runs with this status.
    public var status: RunStatus?
    /// Only runs started at or after this time.
    public var since: Date?
    /// At most this many rows (nil: all).
    public var limit: Int?

    /// Describes a query; all filters optional.
    public init(job: String? = nil, status: RunStatus? = nil, since: Date? = nil, limit: Int? = nil) {
        self.job = job
        self.status = status
        self.since = since
        self.limit = limit
    }
}
