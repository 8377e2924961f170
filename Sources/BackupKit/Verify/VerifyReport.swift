import ConfigKit
import Foundation

/// The result of verifying one backup: each object's digest, compression layer and format, and
/// the restore drill's result when one ran.
public struct VerifyReport: Sendable, Hashable, Codable {
    /// The job.
    public var job: String
    /// The backup id.
    public var backupId: String
    /// Its manifest key (nil for backups without one).
    public var manifestKey: String?
    /// `complete`, `legacy` or `incomplete`.
    public var state: String
    /// Per object.
    public var objects: [ObjectResult]
    /// The restore drill, when one ran.
    public var drill: DrillResult?
    /// When the check started and ended.
    public var startedAt: Date
    public var endedAt: Date
    /// Problems that are not one object's (no manifest).
    public var problems: [String]
    /// Why the content (compression layer, engine format) was not checked, when it was not: an
    /// encrypted backup verified without an identity. Not a problem: the digests were checked.
    public var contentSkipped: String?
    /// The backup's `tables` selection when it is partial: the drill restores only those tables.
    public var tables: TableSelection? = nil
    /// Why a check could not run here (a local tool is missing, e.g. `pg_restore not installed`):
    /// the verification could not run, which says nothing against the backup.
    public var couldNotVerify: String? = nil

    /// One object's checks.
    public struct ObjectResult: Sendable, Hashable, Codable {
        /// The object key (the first segment's).
        public var key: String
        /// `dump` or `globals`.
        public var role: String
        /// Size from the manifest and as read.
        public var expectedSize: Int64
        public var foundSize: Int64?
        /// SHA-256 from the manifest and as read.
        public var expectedSha256: String
        public var foundSha256: String?
        /// The compression layer checked (`zstd frame checksum`, `gzip CRC`, `none`).
        public var compression: String
        /// The format check that ran (`pg_restore --list`, ...).
        public var format: String
        /// The encryption layer (`age`, or `age (not decrypted)` without an identity); nil when not encrypted.
        public var encryption: String?
        /// Every mismatch found, each naming what was expected and what was found.
        public var problems: [String]
        /// Why the format check could not run (`pg_restore not installed`); not a problem of the object.
        public var notChecked: String? = nil

        /// True when no check found a problem.
        public var passed: Bool { problems.isEmpty }
    }

    /// True when the backup is usable and every check (and the drill) ran and passed.
    public var passed: Bool { !failed && unverifiedReasons.isEmpty }

    /// True when a check that ran found a problem: the backup failed verification.
    public var failed: Bool {
        !(problems.isEmpty && objects.allSatisfy(\.passed) && (drill?.passed ?? true))
    }

    /// True when nothing failed but some check could not run here (see `unverifiedReasons`).
    public var couldNotRun: Bool { !failed && !unverifiedReasons.isEmpty }

    /// Why checks could not run (`pg_restore not installed`), without repeats.
    public var unverifiedReasons: [String] {
        var reasons: [String] = []
        for reason in [couldNotVerify] + objects.map(\.notChecked) + [drill?.notRun] {
            if let reason, !reasons.contains(reason) { reasons.append(reason) }
        }
        return reasons
    }

    /// True unless the content check was skipped (see `contentSkipped`).
    public var contentChecked: Bool { contentSkipped == nil }

    /// Bytes read back.
    public var bytesRead: Int64 { objects.reduce(0) { $0 + ($1.foundSize ?? 0) } }

    /// Every problem, each prefixed with its object.
    public var allProblems: [String] {
        problems + objects.flatMap { object in object.problems.map { "\(object.key): \($0)" } }
            + (drill.flatMap { drill in drill.error.map { ["restore drill into \(drill.database): \($0)"] } } ?? [])
            + (unverifiedReasons.isEmpty ? [] : ["could not verify: " + unverifiedReasons.joined(separator: "; ")])
    }
}

/// What a restore drill found in its scratch database.
public struct DrillResult: Sendable, Hashable, Codable {
    /// The scratch database's name.
    public var database: String
    /// Tables restored.
    public var tables: Int
    /// Rows in them (exact counts).
    public var rows: Int64
    /// Seconds the restore took.
    public var seconds: Double
    /// Whether the scratch database was dropped afterwards.
    public var dropped: Bool
    /// What went wrong, nil when the drill passed.
    public var error: String?
    /// Why the drill could not run here (`pg_restore not installed`); not a problem of the backup.
    public var notRun: String? = nil
    /// A PITR drill's end of recovery (`pg_last_wal_replay_lsn()`, or `-` when it was not reached);
    /// nil for a dump's drill. A PITR drill's `database` is its scratch directory, `tables` the databases.
    public var replayedTo: String? = nil

    /// True when the restore did not fail (it may not have run: see `notRun`).
    public var passed: Bool { error == nil }
}
