/// Reads a job's `"compression"`: `"zstd"`, `"gzip"`, `"none"`, or
/// `{"algorithm": "zstd", "level": 3, "threads": 2}`.
extension ConfigLoader {
    func compressionSetting(_ object: ObjectReader) -> (Compression, CompressionOptions) {
        guard let value = object.raw("compression") else { return (.zstd, CompressionOptions()) }
        guard case .object = value.kind else {
            return (object.choice("compression", Compression.self) ?? .zstd, CompressionOptions())
        }
        let path = object.childPath("compression")
        guard let settings = ObjectReader(value, path: path, reader: reader, what: "compression settings") else { return (.zstd, CompressionOptions()) }
        let algorithm = settings.choice("algorithm", Compression.self) ?? .zstd
        var options = CompressionOptions()
        switch algorithm {
        case .zstd:
            options.level = settings.integer("level", in: CompressionOptions.zstdLevels)
            options.threads = settings.integer("threads", in: CompressionOptions.threadCounts)
        case .gzip:
            options.level = settings.integer("level", in: CompressionOptions.gzipLevels)
            if let threads = settings.raw("threads") {
                reader.error(threads, settings.childPath("threads"), "gzip compresses on one thread; remove \"threads\" or use \"algorithm\": \"zstd\"")
            }
        case .none:
            for key in ["level", "threads"] {
                if let extra = settings.raw(key) {
                    reader.error(extra, settings.childPath(key), "\"\(key)\" has no meaning without compression; remove it")
                }
            }
        }
        settings.finish()
        return (algorithm, options)
    }
}
