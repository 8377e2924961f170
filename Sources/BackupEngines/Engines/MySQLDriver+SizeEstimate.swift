extension MySQLDriver {
    /// The database's tables and indexes as information_schema counts them (InnoDB's figures are
    /// statistics, close rather than exact); `DATABASE()` keeps the name out of the SQL text.
    public func estimatedSize(_ context: EngineContext, timeout: Duration) throws -> Int64? {
        let client = try clientTool(context)
        let query = "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = DATABASE()"
        return try context.estimate(
            [client] + leadingArguments(context) + ["--connect-timeout=5", "--batch", "--skip-column-names", "--execute=\(query)", connection.database],
            environment: context.baseEnvironment, tool: client, driver: self, timeout: timeout)
    }
}
