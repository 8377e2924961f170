import Foundation

/// One verification of a backup as the history keeps it.
public struct VerificationRecord: Sendable, Hashable, Codable {
    /// Why a verification ran; stored as its raw value (the `verify` trigger family).
    public enum Trigger: String, Sendable, Hashable, Codable, CaseIterable {
        /// `backupd verify` by hand.
        case verify
        /// The job's `verify.schedule` came due.
        case schedule = "verify-schedule"
        /// `verify.afterBackup`: right after the backup was written.
        case afterBackup = "after-backup"
        /// `backupd restore --verify-first`: before the restore touched its target.
        case restoreVerifyFirst = "restore-verify-first"
    }

    /// The row id (0 before it is stored).
    public var id: Int64
    /// The job.
    public var job: String
    /// The backup verified.
    public var backupID: String
    /// Its manifest key, when it has one.
    public var manifestKey: String?
    /// The destination whose copy was read (nil on rows recorded before destinations were).
    public var destination: String?
    /// Why it ran.
    public var trigger: Trigger
    /// When it started and ended.
    public var startedAt: Date
    public var endedAt: Date
    /// Whether every check passed.
    public var passed: Bool
    /// Bytes read back.
    public var bytesRead: Int64?
    /// Objects checked.
    public var objects: Int?
    /// The restore drill's scratch database, tables and rows, when a drill ran.
    public var drillDatabase: String?
    public var drillTables: Int?
    public var drillRows: Int64?
    /// The problems found, one per line (for a passed check whose content was not checked: why not).
    public var error: String?
    /// False when only the digests were checked (an encrypted backup verified without an identity).
    public var contentChecked: Bool
    /// True when the verification could not run here (a local tool is missing): `passed` is false,
    /// but the backup did not fail; `error` says why (`could not verify: pg_restore not installed`).
    public var couldNotRun: Bool = false

    /// True when the verification ran and found a problem in the backup.
    public var failed: Bool { !passed && !couldNotRun }

    /// Describes a verification.
    public init(
        id: Int64 = 0, job: String, backupID: String, manifestKey: String?, trigger: Trigger, startedAt: Date, endedAt: Date,
        passed: Bool, bytesRead: Int64? = nil, objects: Int? = nil, drillDatabase: String? = nil, drillTables: Int? = nil,
        drillRows: Int64? = nil, error: String? = nil, contentChecked: Bool = true, destination: String? = nil
    ) {
        self.id = id
        self.job = job
        self.backupID = backupID
        self.manifestKey = manifestKey
        self.destination = destination
        self.trigger = trigger
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.passed = passed
        self.bytesRead = bytesRead
        self.objects = objects
        self.drillDatabase = drillDatabase
        self.drillTables = drillTables
        self.drillRows = drillRows
        self.error = error
        self.contentChecked = contentChecked
    }
}
