import ConfigKit

extension Compression {
    /// A fresh compressor for this setting.
    public func makeCompressor() throws -> any StreamCodec {
        try makeCompressor(CompressionOptions())
    }

    /// A fresh decompressor for this setting.
    public func makeDecompressor() throws -> any StreamCodec {
        switch self {
        case .zstd: return try ZstdCodec(decompressing: ())
        case .gzip: return try GzipCodec(decompressing: ())
        case .none: return PassThroughCodec()
        }
    }

    /// The compression an object name ends with (`.zst`, `.gz`, else none).
    public static func of(objectKey key: String) -> Compression {
        if key.hasSuffix(".zst") { return .zstd }
        if key.hasSuffix(".gz") { return .gzip }
        return .none
    }
}
