import ConfigKit
import Foundation

extension ConfigSummary {
    /// `validate --json` (docs/json.md): whether the file is valid, every problem (errors and
    /// warnings, located), and for a valid file its destinations and jobs with their next runs.
    public static func json(
        path: String, config: BackupConfig?, problems: [ConfigProblem], secretsChecked: Bool, now: Date, upcoming: Int = 3
    ) -> JSONOutput {
        .object([
            ("path", .string(path)),
            ("valid", .bool(config != nil)),
            ("secretsChecked", .bool(secretsChecked)),
            ("problems", .array(problems.map { problem in
                .object([
                    ("severity", .string(problem.severity.rawValue)), ("file", .string(problem.file)),
                    ("line", .int(problem.position.map { Int64($0.line) })), ("column", .int(problem.position.map { Int64($0.column) })),
                    ("path", .string(problem.path)), ("message", .string(problem.message)),
                ])
            })),
            ("destinations", .array((config?.destinations ?? []).map { d in
                .object([
                    ("name", .string(d.name)), ("endpoint", .string(d.endpoint.absoluteString)), ("bucket", .string(d.bucket)),
                    ("region", .string(d.region)), ("pathStyle", .bool(d.pathStyle)), ("provider", .string(d.providerSummary)),
                ])
            })),
            ("jobs", .array((config?.jobs ?? []).map { job in
                .object([
                    ("name", .string(job.name)), ("engine", .string(job.engine.rawValue)), ("schedule", .string(job.schedule.text)),
                    ("timeZone", .string(job.timeZone.identifier)), ("destinations", .array(job.destinations.map { .string($0) })),
                    ("prefix", .string(job.prefix)), ("compression", .string(job.compression.rawValue)),
                    ("timeoutSeconds", .int(Int64(job.timeout.components.seconds))), ("enabled", .bool(job.enabled)),
                    ("nextRuns", .array(job.enabled ? job.cronSchedule.nextTimes(after: now, count: upcoming).map { .time($0) } : [])),
                ])
            })),
        ])
    }
}
