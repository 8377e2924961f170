import ConfigKit

/// One object a backup writes: the tool to run and the name suffix of what it prints.
public struct DumpStep: Sendable, Hashable {
    /// The tool's name for messages (`pg_dump`).
    public var tool: String
    /// Program and arguments (never a secret).
    public var argv: [String]
    /// The complete environment of the tool.
    public var environment: [String: String]
    /// The object-name suffix before compression (`.dump`, `.globals.sql`).
    public var suffix: String
    /// True for the job's main object (what `RunOutcome.objectKey` names).
    public var primary: Bool
    /// What the tool's output must look like before the backup is called good.
    public var check: DumpCheck
    /// The secrets the tool opens as `/proc/self/fd/N` (`ProcessSpec.inheritedFiles`), set by the runner.
    public var inheritedFiles: [Int32] = []
    /// Commands (same environment) run after `argv` exits 0, whose output continues the same
    /// stream: MySQL's schema-only dump of `tables.excludeData` tables. Empty for most steps.
    public var then: [[String]] = []

    /// Describes one dump.
    public init(
        tool: String, argv: [String], environment: [String: String], suffix: String, primary: Bool = true, check: DumpCheck = .nonEmpty
    ) {
        self.tool = tool
        self.argv = argv
        self.environment = environment
        self.suffix = suffix
        self.primary = primary
        self.check = check
    }

    /// This step with `files` inherited by its tool.
    public func inheriting(_ files: [Int32]) -> DumpStep {
        var step = self
        step.inheritedFiles = files
        return step
    }
}

/// Where a restore sends the decompressed backup.
public enum RestoreAction: Sendable, Hashable {
    /// Into this tool's standard input.
    case process(tool: String, argv: [String], environment: [String: String])
    /// Into a new file at this path (mode 0600), e.g. a Redis RDB.
    case file(path: String)
}

/// What the user asked of a restore.
public struct RestoreOptions: Sendable, Hashable {
    /// Another database (PostgreSQL, MySQL), URI (MongoDB) or file path (Redis) than the job's own.
    public var target: String?
    /// Drop objects before recreating them (pg_restore `--clean --if-exists`, mongorestore `--drop`).
    public var clean: Bool
    /// Verify the whole backup (digests, compression, format) before touching the target.
    public var verifyFirst: Bool
    /// The tool's options (owner, role, transaction, parallelism); the command line's over the job's.
    public var tool: JobRestoreOptions

    /// Describes a restore request.
    public init(target: String? = nil, clean: Bool = false, verifyFirst: Bool = false, tool: JobRestoreOptions = JobRestoreOptions()) {
        self.target = target
        self.clean = clean
        self.verifyFirst = verifyFirst
        self.tool = tool
    }

    /// These options with every tool option the command line left unset taken from the job's `restoreOptions`.
    public func over(_ job: JobRestoreOptions?) -> RestoreOptions {
        var result = self
        result.tool.keepOwner = tool.keepOwner ?? job?.keepOwner
        result.tool.role = tool.role ?? job?.role
        result.tool.singleTransaction = tool.singleTransaction ?? job?.singleTransaction
        result.tool.jobs = tool.jobs ?? job?.jobs
        return result
    }
}
