/// The size that fixes equal parts before an upload starts, and where it came from.
///
/// Precedence: the job's explicit `expectedSize`; else the largest stored size of its recent
/// successful backups (the very stream, compressed and encrypted as it will be again); else the
/// engine's own estimate (the database's size before compression, so it errs large: larger
/// parts, never too few). The history wins over the estimate because the estimate of a database
/// that compresses 5:1 would make parts (and their buffers) five times larger than needed; a
/// database that outgrew its history's headroom continues in a segment rather than failing.
public struct ExpectedSize: Sendable, Equatable {
    /// Where a size came from.
    public enum Source: String, Sendable {
        /// The job's `expectedSize`.
        case explicit = "expectedSize"
        /// The job's recent backups in the history.
        case history
        /// The engine's estimate (`pg_database_size`, information_schema, Redis's dataset memory).
        case engine
    }

    /// Bytes expected.
    public var bytes: Int64
    /// Where they came from.
    public var source: Source

    /// Describes an expected size.
    public init(bytes: Int64, source: Source) {
        self.bytes = bytes
        self.source = source
    }

    /// The first of `explicit`, `history()`, `estimate()` that gives a positive size; the later
    /// ones are not asked once one has answered (the estimate is a query to the server).
    public static func resolve(explicit: Int64?, history: () -> Int64?, estimate: () -> Int64?) -> ExpectedSize? {
        if let explicit, explicit > 0 { return ExpectedSize(bytes: explicit, source: .explicit) }
        if let recent = history(), recent > 0 { return ExpectedSize(bytes: recent, source: .history) }
        if let guess = estimate(), guess > 0 { return ExpectedSize(bytes: guess, source: .engine) }
        return nil
    }
}
