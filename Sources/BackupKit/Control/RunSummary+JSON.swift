extension RunSummary {
    /// `run-now --json` (docs/json.md): the run's outcome, what was stored where, and why it failed.
    public var json: JSONOutput {
        .object([
            ("job", .string(job)),
            ("runId", .int(runID)),
            ("status", .string(status)),
            ("durationSeconds", .double((seconds * 1000).rounded() / 1000)),
            ("backupId", .string(backupID)),
            ("bucket", .string(bucket)),
            ("objectKey", .string(objectKey)),
            ("manifestKey", .string(manifestKey)),
            ("bytesRead", .int(bytesRead)),
            ("bytesStored", .int(bytesStored)),
            ("sha256", .string(sha256)),
            ("suspicious", .string(suspicious)),
            ("error", .string(error)),
            ("stderrTail", .string(stderrTail)),
            ("destinations", .array((destinations ?? []).map { outcome in
                .object([
                    ("destination", .string(outcome.destination)), ("bucket", .string(outcome.bucket)),
                    ("status", .string(outcome.status.rawValue)), ("objectKey", .string(outcome.objectKey)),
                    ("bytesStored", .int(outcome.bytesStored)), ("sha256", .string(outcome.sha256)), ("error", .string(outcome.error)),
                ])
            })),
        ])
    }
}
