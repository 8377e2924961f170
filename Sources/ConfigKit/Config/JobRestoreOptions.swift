/// A job's `"restoreOptions"`: how `backupd restore` and restore drills run the engine's restore
/// tool unless the command line says otherwise. Unset keys keep backupd's defaults.
public struct JobRestoreOptions: Sendable, Hashable {
    /// PostgreSQL: keep the dump's owners and grants (`true`), or drop them (`false`, pg_restore
    /// `--no-owner --no-privileges`); MySQL: keep the DEFINER clauses of views, triggers, routines
    /// and events, or strip them (`DefinerFilter`). Default: kept when restoring into the job's own
    /// database, dropped for any other target, so a role that owns the target database can restore.
    public var keepOwner: Bool?
    /// PostgreSQL: the role pg_restore switches to (`--role`) after logging in.
    public var role: String?
    /// PostgreSQL: restore in one transaction (default true: a failed restore leaves nothing).
    public var singleTransaction: Bool?
    /// MongoDB: collections restored in parallel (`--numParallelCollections`).
    public var jobs: Int?

    /// Describes restore options; nil keeps the default.
    public init(keepOwner: Bool? = nil, role: String? = nil, singleTransaction: Bool? = nil, jobs: Int? = nil) {
        self.keepOwner = keepOwner
        self.role = role
        self.singleTransaction = singleTransaction
        self.jobs = jobs
    }

    /// The keys each engine understands, for validation and messages.
    public static func keys(for engine: Engine) -> [String] {
        switch engine {
        case .postgres: return ["keepOwner", "role", "singleTransaction"]
        case .mongodb: return ["jobs"]
        case .mysql: return ["keepOwner"]
        case .redis, .command: return []
        }
    }
}
