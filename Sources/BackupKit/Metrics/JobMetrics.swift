import BackupHistory
import Foundation

/// What the metrics know about one job, kept from the history and every run since.
public struct JobMetrics: Sendable, Hashable {
    /// When the newest run started.
    public var lastStart: Date?
    /// When the newest finished run ended.
    public var lastEnd: Date?
    /// The newest finished run's status.
    public var lastStatus: RunStatus?
    /// The newest finished run's duration in seconds.
    public var lastDuration: Double?
    /// When the newest successful run ended.
    public var lastSuccess: Date?
    /// The slot (or start) of the newest successful run, from which overdue is judged.
    public var lastSuccessSlot: Date?
    /// The slot (or start) of the newest run, for a job that never succeeded.
    public var firstSlot: Date?
    /// Bytes stored at each destination by the newest run that stored the backup there (a
    /// fan-out job has one per destination).
    public var lastSizes: [String: Int64] = [:]
    /// Whether the newest backup stored is suspicious and not acknowledged.
    public var lastSuspicious = false
    /// Whether a run is in progress.
    public var running = false
    /// Finished runs by status.
    public var runs: [RunStatus: Int64] = [:]
    /// Bytes stored by successful runs, by destination.
    public var bytesUploaded: [String: Int64] = [:]
    /// S3 requests retried by runs since backupd started, by destination.
    public var retries: [String: Int64] = [:]
    /// The newest verification that ran (passed or failed), by destination ("" for rows that name none).
    public var verifications: [String: Verification] = [:]

    /// One verification's result for the metrics.
    public struct Verification: Sendable, Hashable {
        /// When it ended.
        public var at: Date
        /// Whether it passed.
        public var passed: Bool

        /// Describes a result.
        public init(at: Date, passed: Bool) {
            self.at = at
            self.passed = passed
        }
    }

    /// Nothing known yet.
    public init() {}
}
