import BackupCore

extension CheckReport {
    /// The report for `check --json` (docs/json.md): subject, name, target, verdict and each step
    /// with its outcome (`ok`, `failed`, `skipped`, `warning`) and detail.
    public var json: JSONOutput {
        .object([
            ("subject", .string(subject)),
            ("name", .string(destination)),
            ("target", .string(target)),
            ("passed", .bool(passed)),
            ("steps", .array(steps.map { step in
                let (outcome, detail): (String, String)
                switch step.outcome {
                case .ok(let text): (outcome, detail) = ("ok", text)
                case .failed(let text): (outcome, detail) = ("failed", text)
                case .skipped(let text): (outcome, detail) = ("skipped", text)
                case .warning(let text): (outcome, detail) = ("warning", text)
                }
                return .object([("name", .string(step.name)), ("outcome", .string(outcome)), ("detail", .string(detail))])
            })),
        ])
    }
}
