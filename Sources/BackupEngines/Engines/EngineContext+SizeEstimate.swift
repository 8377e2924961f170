extension EngineContext {
    /// How long a size estimate may take: it only sizes parts, so a slow server is not waited for.
    public static let estimateTimeout: Duration = .seconds(10)

    /// Runs a size query of `driver` (the credentials in `environment` or an option file, never in
    /// argv) and reads the count of bytes that `parse` finds in its output. A failed query throws
    /// the driver's error for it; a reply without a number is nil.
    func estimate(
        _ argv: [String], environment: [String: String], tool: String, driver: any EngineDriver, timeout: Duration,
        parse: (String) -> Int64? = EngineContext.firstNumber
    ) throws -> Int64? {
        let run = try capture(argv, environment: environment, timeout: timeout)
        guard run.exit.succeeded else {
            throw driver.failure(tool: tool, exit: run.exit, stderr: run.errors + "\n" + run.output, job: job.name)
        }
        return parse(run.output).flatMap { $0 > 0 ? $0 : nil }
    }

    /// The number on the first non-empty line ("123\n" → 123; SQL's NULL prints nothing or "NULL").
    static func firstNumber(_ output: String) -> Int64? {
        output.split(whereSeparator: \.isNewline).lazy.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty }.flatMap { Int64($0) }
    }
}
