extension RedisDriver {
    /// `used_memory_dataset` from `INFO memory`: the keys' and values' memory without the server's
    /// own overhead. Redis reports no RDB file size (`rdb_last_cow_size` is copy-on-write memory,
    /// and `DEBUG` is off by default); the RDB encodes the same data more compactly, so this errs large.
    public func estimatedSize(_ context: EngineContext, timeout: Duration) throws -> Int64? {
        _ = try context.require("redis-cli", package: Self.package)
        return try context.estimate(
            arguments() + ["INFO", "memory"], environment: environment(context), tool: "redis-cli", driver: self, timeout: timeout,
            parse: Self.datasetBytes)
    }

    /// The `used_memory_dataset:` field of an INFO reply (redis-cli exits 0 after an error reply:
    /// none is found in it).
    static func datasetBytes(_ info: String) -> Int64? {
        let field = "used_memory_dataset:"
        let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix(field) }
        return line.flatMap { Int64($0.dropFirst(field.count).trimmingCharacters(in: .whitespaces)) }
    }
}
