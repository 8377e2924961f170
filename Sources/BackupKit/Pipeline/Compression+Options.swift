import ConfigKit

extension Compression {
    /// A fresh compressor with `options`' level and (zstd) worker threads.
    public func makeCompressor(_ options: CompressionOptions) throws -> any StreamCodec {
        switch self {
        case .zstd:
            return try ZstdCodec(
                compressionLevel: Int32(options.effectiveLevel(for: .zstd) ?? CompressionOptions.defaultZstdLevel),
                workers: options.threads.map(Int32.init) ?? ZstdCodec.defaultWorkers)
        case .gzip:
            return try GzipCodec(compressionLevel: Int32(options.effectiveLevel(for: .gzip) ?? CompressionOptions.defaultGzipLevel))
        case .none:
            return PassThroughCodec()
        }
    }
}
