import Glibc

/// A `postgres` job's `"pitr"` settings: the job takes `pg_basebackup` base backups on its schedule
/// and stores the WAL that PostgreSQL's `archive_command` hands to the daemon.
public struct PITRSettings: Sendable, Hashable {
    /// The operating-system user PostgreSQL's server runs as (`archiveUser`): the control socket
    /// admits it (by SO_PEERCRED) for `wal-push`, and only for that.
    public var archiveUser: String
    /// That user's uid, looked up when the config was read.
    public var archiveUID: UInt32
    /// `maxArchiveLag`: `status` calls the job not ok once the newest archived WAL file is older
    /// than this (nil: no limit; an idle cluster archives nothing unless `archive_timeout` is set).
    public var maxArchiveLag: Duration?
    /// `maxArchiveBacklog`: `status` calls the job not ok once the newest `wal-push` found more
    /// WAL files than this waiting in the server's `pg_wal/archive_status` (nil: no limit).
    public var maxArchiveBacklog: Int?
    /// `drillTimeout`: how long a restore drill's server may take to recover (replay every archived
    /// WAL file since the base backup) before the drill fails.
    public var drillTimeout: Duration = PITRSettings.defaultDrillTimeout
    /// The drill's limit when `drillTimeout` is not set.
    public static let defaultDrillTimeout: Duration = .seconds(3600)

    /// Settings for `archiveUser`, whose uid is `archiveUID`.
    public init(
        archiveUser: String, archiveUID: UInt32, maxArchiveLag: Duration? = nil, maxArchiveBacklog: Int? = nil,
        drillTimeout: Duration = PITRSettings.defaultDrillTimeout
    ) {
        self.drillTimeout = drillTimeout
        self.archiveUser = archiveUser
        self.archiveUID = archiveUID
        self.maxArchiveLag = maxArchiveLag
        self.maxArchiveBacklog = maxArchiveBacklog
    }

    /// The uid of the local user `name`, or nil when there is none.
    public static func uid(ofUser name: String) -> UInt32? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil else { return nil }
        return entry.pw_uid
    }
}
