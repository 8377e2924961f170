import BackupCore
import ConfigKit
import Foundation

/// `backupd check JOB`'s database side: everything a backup of the job needs before S3 (the dump
/// tool and its version against the server's, the login, read access to every table it would dump,
/// and, as a warning, the restore tool), each step with its own result. Connections give up fast
/// (`connectTimeout`), because a check diagnoses; it does not wait out an outage as a backup does.
public struct DatabaseChecker: Sendable {
    /// The job whose database is checked.
    public let job: JobConfig
    /// Runs the tools.
    public let launcher: any ProcessLauncher
    /// backupd's own environment, from which the tools' minimal one is taken.
    public let environment: [String: String]
    /// Where the credential directory is made (nil: `SecretDirectory`'s default).
    public let secretsParent: String?
    /// The daemon's state directory, where a PITR job's archive user must reach the control socket.
    public var stateDirectory: String? = nil

    /// Seconds a connection attempt may take (libpq's `connect_timeout`, the MySQL client's `--connect-timeout`).
    public static let connectTimeout = 10
    /// How long one query of the check may run before it is killed.
    static let queryTimeout: Duration = .seconds(15)

    /// A checker for `job`.
    public init(job: JobConfig, launcher: any ProcessLauncher, environment: [String: String], secretsParent: String? = nil) {
        self.job = job
        self.launcher = launcher
        self.environment = environment
        self.secretsParent = secretsParent
    }

    /// Runs the job's engine's steps and returns the report (headed `job "NAME"`).
    public func run() -> CheckReport {
        var steps = CheckSteps()
        let target: String
        switch job.connection {
        case .sql(let c): target = "\(job.engine.rawValue) \(c.host.hasPrefix("/") ? c.host : "\(c.host):\(c.port)"), database \(c.database)"
        default: target = job.engine.rawValue
        }
        do {
            let secrets = try SecretDirectory(parent: secretsParent)
            defer { secrets.remove() }
            let context = EngineContext(
                job: job, secrets: secrets, launcher: launcher, baseEnvironment: EngineContext.baseEnvironment(from: environment))
            switch (job.engine, job.connection) {
            case (.postgres, .sql(let connection)): checkPostgres(PostgresDriver(connection: connection), context: context, steps: &steps)
            case (.mysql, .sql(let connection)): checkMySQL(MySQLDriver(connection: connection), context: context, steps: &steps)
            default:
                let driver = EngineDrivers.driver(for: job)
                steps.run("tools and login") { "\(try driver.preflight(context)) answers" }
            }
        } catch {
            steps.run("credentials") { throw error }
        }
        return CheckReport(destination: job.name, target: target, steps: steps.list, subject: "job")
    }
}
