/// Tuning of a job's compression: the level and (zstd) worker threads.
public struct CompressionOptions: Sendable, Hashable {
    /// The level; nil takes the algorithm's default (zstd 3, gzip 6).
    public var level: Int?
    /// zstd worker threads (`ZSTD_c_nbWorkers`); nil takes one per spare core, at most 4.
    public var threads: Int?

    /// zstd's default level.
    public static let defaultZstdLevel = 3
    /// gzip's default level.
    public static let defaultGzipLevel = 6
    /// Valid zstd levels.
    public static let zstdLevels = 1...19
    /// Valid gzip levels.
    public static let gzipLevels = 1...9
    /// Valid zstd worker counts (0 compresses on the reading thread).
    public static let threadCounts = 0...64

    /// Describes the tuning.
    public init(level: Int? = nil, threads: Int? = nil) {
        self.level = level
        self.threads = threads
    }
}
