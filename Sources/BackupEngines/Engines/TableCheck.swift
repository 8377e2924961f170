import BackupCore
import ConfigKit

/// `backupd check JOB` for a job with `tables`: what each of its patterns matches, asked of its
/// database with its own credentials.
public struct TableCheck: Sendable {
    /// Starts psql or the mariadb/mysql client.
    public let launcher: any ProcessLauncher
    /// backupd's own environment, from which the client's minimal one is taken.
    public let environment: [String: String]
    /// Where the credential file is made (nil: `SecretDirectory`'s default).
    public let secretsParent: String?

    /// Creates a check.
    public init(launcher: any ProcessLauncher, environment: [String: String], secretsParent: String? = nil) {
        self.launcher = launcher
        self.environment = environment
        self.secretsParent = secretsParent
    }

    /// The matches of `job`'s patterns; nil when the job selects no tables. Throws `EngineError`
    /// when the database cannot be asked.
    public func run(_ job: JobConfig) throws -> TableMatches? {
        guard let selection = job.tables, let driver = EngineDrivers.driver(for: job) as? any TableListing else { return nil }
        let secrets = try SecretDirectory(parent: secretsParent)
        defer { secrets.remove() }
        let context = EngineContext(job: job, secrets: secrets, launcher: launcher, baseEnvironment: EngineContext.baseEnvironment(from: environment))
        return try driver.tableMatches(context, selection: selection)
    }
}
