extension PostgresDriver {
    /// `pg_database_size(current_database())`: the database's files on disk, indexes and free
    /// space included, so at least what the dump holds before compression.
    public func estimatedSize(_ context: EngineContext, timeout: Duration) throws -> Int64? {
        _ = try context.require("psql", package: Self.package)
        return try context.estimate(
            ["psql", "-X", "-A", "-t", "-c", "SELECT pg_database_size(current_database())"] + connectionArguments()
                + ["--dbname", connection.database],
            environment: try environment(context), tool: "psql", driver: self, timeout: timeout)
    }
}
