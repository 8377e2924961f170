import Foundation

/// A multipart upload whose abort failed: its parts stay billed until the sweeper's abort is
/// confirmed, so it is kept (in the history) until then.
public struct PendingAbort: Sendable, Hashable {
    /// The destination's name in the config.
    public var destination: String
    /// The bucket.
    public var bucket: String
    /// The key the upload would have written.
    public var key: String
    /// The upload id.
    public var uploadID: String
    /// When the first abort failed.
    public var since: Date
    /// Aborts tried so far.
    public var attempts: Int
    /// Why the last abort failed.
    public var lastError: String

    /// Describes an upload left to abort.
    public init(destination: String, bucket: String, key: String, uploadID: String, since: Date, attempts: Int = 1, lastError: String) {
        self.destination = destination
        self.bucket = bucket
        self.key = key
        self.uploadID = uploadID
        self.since = since
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// Where uploads whose abort failed are kept until an abort is confirmed (the history).
public protocol PendingAbortLedger: Sendable {
    /// Keeps `upload` as abort pending.
    func recordPendingAbort(_ upload: PendingAbort) throws
}
