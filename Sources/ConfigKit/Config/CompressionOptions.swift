/// Tuning of a job's compression: the level and (zstd) worker threads.
public struct CompressionOptions: Sendable, Hashable {
    /// The level; nil takes the algorithm's default (zstd 1, gzip 6).
    public var level: Int?
    /// zstd worker threads (`ZSTD_c_nbWorkers`); nil takes one per core beyond the second, at most 4.
    public var threads: Int?

    /// backupd's zstd level when a job sets none: 1, not zstd's own 3. On a table that compresses
    /// about 2:1 (issue 22's figures) level 1 cost 42% less CPU than 3 and stored 4% less; only
    /// extremely redundant data compresses noticeably better at 3. A job can still set `level`.
    public static let defaultZstdLevel = 1
    /// gzip's default level.
    public static let defaultGzipLevel = 6
    /// Valid zstd levels.
    public static let zstdLevels = 1...19
    /// Valid gzip levels.
    public static let gzipLevels = 1...9
    /// Valid zstd worker counts (0 compresses on the reading thread).
    public static let threadCounts = 0...64

    /// The level a compressor for `compression` uses: the job's own, else the algorithm's default.
    public func effectiveLevel(for compression: Compression) -> Int? {
        switch compression {
        case .zstd: return level ?? Self.defaultZstdLevel
        case .gzip: return level ?? Self.defaultGzipLevel
        case .none: return nil
        }
    }

    /// Describes the tuning.
    public init(level: Int? = nil, threads: Int? = nil) {
        self.level = level
        self.threads = threads
    }
}
