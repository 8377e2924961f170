import BackupCore
import Cron
import Foundation
import S3Kit

/// The validated configuration of backupd: where backups go and what is backed up when.
///
/// Built only by `BackupConfig.load(path:...)`, which rejects any file with problems, so a value of
/// this type is always complete and consistent (every job names an existing destination, every
/// schedule parses, every secret resolved).
public struct BackupConfig: Sendable {
    /// Where the history database lives.
    public var stateDirectory: String
    /// The default time zone for schedules.
    public var timeZone: ZoneRules
    /// How many backups may run at once across all jobs.
    public var maxConcurrentJobs: Int
    /// How long a stopping daemon lets running backups finish before killing them.
    public var shutdownGracePeriod: Duration
    /// The S3-compatible buckets, by name.
    public var destinations: [DestinationConfig]
    /// The backup jobs, in file order.
    public var jobs: [JobConfig]
    /// Verification settings for every job (a job's own `verify` overrides them key by key).
    public var verify: VerifySettings? = nil
    /// The retention policy of jobs that set none (nil: such jobs keep every backup).
    public var retention: RetentionPolicy? = nil
    /// How long history rows are kept; the newest row of each job is kept whatever its age.
    public var historyRetention: Duration = BackupConfig.defaultHistoryRetention

    /// The `historyRetention` of a config that sets none: 400 days, more than a year of runs.
    public static let defaultHistoryRetention: Duration = .seconds(400 * 86_400)
    /// Where metrics are exposed, when set.
    public var metrics: MetricsConfig? = nil
    /// This host's id in a fleet (`hostId`, else the machine's hostname; nil when neither is usable).
    public var hostId: String? = nil
    /// How long a `runOn: "any"` claim stays live without renewal (`claimLease`); renewed every third of it.
    public var claimLease: Duration = BackupConfig.defaultClaimLease

    /// The `claimLease` of a config that sets none.
    public static let defaultClaimLease: Duration = .seconds(60)

    /// The destination with this name.
    public func destination(named name: String) -> DestinationConfig? {
        destinations.first { $0.name == name }
    }

    /// The job with this name.
    public func job(named name: String) -> JobConfig? {
        jobs.first { $0.name == name }
    }
}

/// An S3-compatible bucket that backups are written to.
public struct DestinationConfig: Sendable {
    /// The name jobs refer to.
    public var name: String
    /// The service endpoint, e.g. `https://fra1.digitaloceanspaces.com`.
    public var endpoint: URL
    /// The signing region (`us-east-1`, `fr-par`, `auto` for R2, ...).
    public var region: String
    /// The bucket name.
    public var bucket: String
    /// The access key id.
    public var accessKeyId: Secret
    /// The secret access key.
    public var secretAccessKey: Secret
    /// A session token for temporary credentials.
    public var sessionToken: Secret?
    /// Path-style (`endpoint/bucket/key`) rather than virtual-hosted (`bucket.endpoint/key`) addressing.
    public var pathStyle: Bool
    /// Whether plain http was explicitly allowed for a non-loopback endpoint.
    public var allowInsecureHTTP: Bool
    /// A PEM file of certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// The most parts one multipart upload may have (10,000 on AWS; some providers allow fewer).
    public var maxParts: Int
    /// The smallest part size in bytes; parts grow beyond it as a stream gets long.
    public var partSize: Int
    /// How many parts are uploaded at once.
    public var partsInFlight: Int
    /// `multiObjectDelete` as set (nil: the provider profile's): whether DeleteObjects exists;
    /// without it, objects are deleted one by one with DeleteObject. Read `providerProfile`.
    public var multiObjectDelete: Bool? = nil
    /// The provider whose rules apply (detected from the endpoint unless `provider` is set).
    public var provider: StorageProvider = .generic
    /// How long a failing request is retried before the backup fails (`retryFor`).
    public var retryFor: Duration = DestinationConfig.defaultRetryFor

    /// `retryFor` when the config does not set it: five minutes.
    public static let defaultRetryFor: Duration = .seconds(300)
}

/// The database engines backupd knows how to dump.
public enum Engine: String, Sendable, CaseIterable {
    case postgres, mysql, mongodb, redis, command
}

/// How a backup stream is compressed before upload.
public enum Compression: String, Sendable, CaseIterable {
    case zstd, gzip, none

    /// The object-name suffix for this compression (empty for none).
    public var fileExtension: String {
        switch self {
        case .zstd: return ".zst"
        case .gzip: return ".gz"
        case .none: return ""
        }
    }
}

/// How many backups to keep, with restic `forget` semantics: a backup is kept if any rule keeps it.
/// A policy with no rule set is not valid (a job without a policy keeps everything).
public struct RetentionPolicy: Sendable, Equatable {
    /// Keep the newest N backups.
    public var keepLast: Int?
    /// Keep the newest backup of each of the N most recent hours that have one.
    public var keepHourly: Int?
    /// Keep the newest backup of each of the N most recent days that have one.
    public var keepDaily: Int?
    /// Keep the newest backup of each of the N most recent ISO weeks that have one.
    public var keepWeekly: Int?
    /// Keep the newest backup of each of the N most recent months that have one.
    public var keepMonthly: Int?
    /// Keep the newest backup of each of the N most recent years that have one.
    public var keepYearly: Int?
    /// Keep every backup taken within this window before the newest backup.
    public var keepWithin: RetentionWindow?

    /// A policy with the given rules (nil: the rule is not used).
    public init(
        keepLast: Int? = nil, keepHourly: Int? = nil, keepDaily: Int? = nil, keepWeekly: Int? = nil,
        keepMonthly: Int? = nil, keepYearly: Int? = nil, keepWithin: RetentionWindow? = nil
    ) {
        self.keepLast = keepLast
        self.keepHourly = keepHourly
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
        self.keepWithin = keepWithin
    }
}

/// How to reach a database (or what to run) for one job.
public enum ConnectionConfig: Sendable {
    /// PostgreSQL or MySQL/MariaDB over TCP (or a Unix socket directory given as host).
    case sql(SQLConnection)
    /// MongoDB by URI, with the password given separately.
    case mongodb(MongoConnection)
    /// Redis over TCP.
    case redis(RedisConnection)
    /// Any command whose standard output is the backup.
    case command(CommandConnection)
}

/// A PostgreSQL or MySQL/MariaDB connection.
public struct SQLConnection: Sendable {
    /// Host name, IP address, or (PostgreSQL) a Unix socket directory starting with `/`.
    public var host: String
    /// TCP port.
    public var port: Int
    /// The user to connect as.
    public var username: String?
    /// The user's password.
    public var password: Secret?
    /// The database to dump.
    public var database: String
    /// PostgreSQL only: also back up roles with `pg_dumpall --globals-only` as a second object.
    public var globals: Bool
}

/// A MongoDB connection.
public struct MongoConnection: Sendable {
    /// The connection string, without a password.
    public var uri: String
    /// The password, passed to the tools through a 0600 config file.
    public var password: Secret?
}

/// A Redis connection.
public struct RedisConnection: Sendable {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// ACL user name (Redis 6+).
    public var username: String?
    /// The password, passed as `REDISCLI_AUTH`.
    public var password: Secret?
}

/// A generic command backup.
public struct CommandConnection: Sendable {
    /// The program and its arguments; its standard output is the backup.
    public var argv: [String]
    /// The program that receives a backup on its standard input to restore it.
    public var restoreArgv: [String]?
    /// The object-name extension before compression, e.g. `.tar` or `.db`.
    public var fileExtension: String
    /// Extra environment variables (values may be secrets) for both commands.
    public var environment: [String: Secret]
}

/// One backup job.
public struct JobConfig: Sendable {
    /// Unique name, used in object names and on the command line.
    public var name: String
    /// The engine whose tool takes the dump.
    public var engine: Engine
    /// When the job runs.
    public var schedule: CronExpression
    /// The zone the schedule is read in.
    public var timeZone: ZoneRules
    /// Every destination each dump of this job is uploaded to, in the config's order (at least one;
    /// `destination` in the config is a list of one).
    public var destinations: [String]
    /// Object-name prefix (no leading or trailing `/`; may be empty).
    public var prefix: String
    /// How to reach the database.
    public var connection: ConnectionConfig
    /// How the stream is compressed.
    public var compression: Compression
    /// The longest a run may take before it is killed and recorded as failed.
    public var timeout: Duration
    /// Whether the scheduler runs this job (run-now works either way).
    public var enabled: Bool
    /// What to do about a run missed while the daemon was down.
    public var catchUp: CatchUpPolicy
    /// Which old backups to keep: the job's own policy, else the config's top-level one; nil keeps
    /// every backup.
    public var retention: RetentionPolicy?
    /// Per-destination retention that replaces `retention` there (see `retention(for:)`).
    public var retentionByDestination: [String: RetentionPolicy] = [:]
    /// The job's own verification settings (see `BackupConfig.verifySettings(for:)`).
    public var verify: VerifySettings? = nil
    /// The expected size of one backup in bytes (`expectedSize`), which fixes the part size on
    /// equal-parts providers when the history has no earlier backup of the job.
    public var expectedSize: Int64? = nil
    /// A `command` job whose output may be empty (`allowEmpty`); every other dump must have bytes.
    public var allowEmpty = false
    /// A backup whose dump is smaller than this fraction of the median of the job's last five
    /// good backups is marked suspicious (`suspiciousBelow`); nil turns the check off.
    public var suspiciousBelow: Double? = JobConfig.defaultSuspiciousBelow
    /// The default `suspiciousBelow`: a tenth of the recent median.
    public static let defaultSuspiciousBelow = 0.1
    /// Compression level and threads.
    public var compressionOptions = CompressionOptions()
    /// How restores run the engine's restore tool (`restoreOptions`), under the command line's flags.
    public var restoreOptions: JobRestoreOptions? = nil
    /// Where run events are announced (the job's own setting, else the top-level one).
    public var notify: NotifyConfig? = nil
    /// How the stream is encrypted (the job's own setting, else the top-level one).
    public var encryption: EncryptionConfig? = nil
    /// Which tables a postgres or mysql job dumps (nil: every table, a whole-database backup).
    public var tables: TableSelection? = nil
    /// Which hosts run the job: this one, or one host of the fleet per slot (`runOn`).
    public var runOn: RunOn = .this
    /// Point-in-time recovery (`pitr`): base backups on the schedule, WAL through the daemon.
    public var pitr: PITRSettings? = nil

    /// The schedule bound to the job's time zone.
    public var cronSchedule: CronSchedule { CronSchedule(schedule, in: timeZone) }
}
