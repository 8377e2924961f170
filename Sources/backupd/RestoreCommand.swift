import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `backupd restore JOB [OBJECT]`: streams a backup back into a database (or a file).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Stream a backup (the job's newest by default) back into its database.",
        discussion: """
            postgres: pg_restore into the job's database or --to DATABASE (which must exist); --clean drops objects first \
            (into the job's own database only with --yes). \
            Into another database than the job's own, owners and grants are left out (--no-owner --no-privileges) \
            unless --keep-owner, so a role that owns the target database can restore; the job's "restoreOptions" \
            set the defaults that these flags override.
            mysql: the SQL goes through mariadb/mysql into the job's database or --to DATABASE; into another database \
            DEFINER clauses are stripped (unless --keep-owner), so a user with ALL on the target can restore.
            mongodb: mongorestore into the job's URI or --to URI; --clean drops collections first.
            redis: --to PATH writes the RDB file; place it as the stopped server's dump file.
            command: the backup is piped into the job's restoreArgv, or written to --to PATH.
            PITR jobs: --to-dir DIR with --time TIME, --lsn LSN or --latest (and --timeline N) lays the newest base \
            backup that ends before the target into the empty DIR and sets up recovery (see the README).
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name.", completion: JobNameCompletion.kind)
    var job: String

    @Argument(help: "The backup id, or one of its objects' keys (or names under the job's prefix); default: the newest complete backup.")
    var object: String?

    @OptionGroup var destination: DestinationOption

    @Option(help: "Restore into this database (URI for mongodb, file path for redis) instead of the job's own.")
    var to: String?

    @Flag(help: "Drop existing objects before restoring them (pg_restore --clean --if-exists, mongorestore --drop).")
    var clean = false

    @Flag(help: "Confirm --clean into the job's own database (its objects are dropped before the restore).")
    var yes = false

    @Flag(name: .customLong("verify-first"), help: "Verify the whole backup (digests, compression, format) before touching the target; the check is recorded in the history.")
    var verifyFirst = false

    @Flag(inversion: .prefixedNo, help: "Keep the dump's owners and grants (postgres) or DEFINERs (mysql); default: only when restoring into the job's own database.")
    var keepOwner: Bool?

    @Option(help: "postgres: the role pg_restore sets (SET ROLE) after logging in, e.g. the target database's owner.")
    var role: String?

    @Flag(inversion: .prefixedNo, help: "postgres: restore in one transaction, so a failure leaves nothing (default: on).")
    var singleTransaction: Bool?

    @Option(help: "mongodb: collections restored in parallel (--numParallelCollections).")
    var jobs: Int?

    @Option(help: "The age identity file (from age-keygen, or an SSH private key) that decrypts an encrypted backup.")
    var identity: String?

    @Flag(name: .shortAndLong, help: "Log each step to stderr.")
    var verbose = false

    @OptionGroup var pitr: PITRRestoreOptions

    func run() async throws {
        let config = try options.loadConfig(secrets: .job(job))
        if pitr.requested { return try await runPITR(config: config) }
        // The --verify-first check is a verification like any other, recorded in the history; a
        // read-only history otherwise: the newest backup is cross-checked with it when there is one.
        let restore = JobRestore(config: config, verifyFirst: verifyFirst, logger: commandLogger(verbose: verbose), warn: printError)
        let named = try requireJob(self.job, in: config, path: options.config)
        try confirmCleanOfOwnDatabase(named)
        let job = try await destination.focus(named, in: restore.backups, holding: object)
        let tool = JobRestoreOptions(keepOwner: keepOwner, role: role, singleTransaction: singleTransaction, jobs: jobs)
        try checkToolOptions(tool, engine: job.engine)
        // Counts the download into a line on a terminal; started only now, so a usage error leaves no line.
        let terminal = TerminalProgress.start(label: "restoring")
        let started = Date()
        do {
            let result = try await restore.restore(
                job: job, object: object, target: to, clean: clean, tool: tool, identity: identity, progress: terminal?.progress, logger: commandLogger(verbose: verbose))
            terminal?.finish()
            let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
            print("restored \(result.key) into \(result.destination) in \(seconds) s")
            print("  downloaded \(formatSize(result.bytesDownloaded)), restored \(formatSize(result.bytesRestored))")
            print("  sha256 \(result.sha256) (matches the manifest)")
            if let tables = result.tables {
                print("  partial backup: it holds only the tables its job selected (\(tables.summary)); other tables of the target were not touched")
            }
        } catch {
            terminal?.finish()
            printError("restore of \(job.name) failed: \(error)")
            throw ExitCode.failure
        }
    }

    /// Refuses `--clean` into the job's own (live) database without `--yes` (a usage error, exit 64).
    func confirmCleanOfOwnDatabase(_ job: JobConfig) throws {
        guard clean, !yes else { return }
        var own: String?
        if case .sql(let connection) = job.connection { own = connection.database }
        guard to == nil || to == own else { return }
        let name = own.map { " (\($0))" } ?? ""
        throw ValidationError(
            "--clean without --to restores into job \(job.name)'s own database\(name) and drops its objects first; "
                + "add --yes to confirm, or restore into another database with --to DATABASE")
    }

    /// Refuses a flag the job's engine has no use for (a usage error, exit 64).
    func checkToolOptions(_ tool: JobRestoreOptions, engine: Engine) throws {
        let given: [(key: String, flag: String)] = [
            (tool.keepOwner != nil ? "keepOwner" : "", "--keep-owner"), (tool.role != nil ? "role" : "", "--role"),
            (tool.singleTransaction != nil ? "singleTransaction" : "", "--single-transaction"), (tool.jobs != nil ? "jobs" : "", "--jobs"),
        ].filter { !$0.key.isEmpty }
        let allowed = JobRestoreOptions.keys(for: engine)
        if tool.jobs != nil, engine == .postgres {
            throw ValidationError("--jobs: pg_restore restores in parallel only from a file, and backupd streams the backup into its standard input")
        }
        for option in given where !allowed.contains(option.key) {
            throw ValidationError("\(option.flag) does nothing for a \(engine.rawValue) job (job \(self.job))")
        }
        if let role, role.isEmpty || role.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            throw ValidationError("--role \"\(role)\" is not a valid role name")
        }
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs \(jobs) is not valid; give 1 to 64") }
    }
}
