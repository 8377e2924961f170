import ArgumentParser
import BackupKit
import Foundation

/// `backupd restore JOB [OBJECT]`: streams a backup back into a database (or a file).
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Stream a backup (the job's newest by default) back into its database.",
        discussion: """
            postgres: pg_restore into the job's database or --to DATABASE (which must exist); --clean drops objects first.
            mysql: the SQL goes through mariadb/mysql into the job's database or --to DATABASE.
            mongodb: mongorestore into the job's URI or --to URI; --clean drops collections first.
            redis: --to PATH writes the RDB file; place it as the stopped server's dump file.
            command: the backup is piped into the job's restoreArgv, or written to --to PATH.
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

    @Flag(name: .customLong("verify-first"), help: "Verify the whole backup (digests, compression, format) before touching the target; the check is recorded in the history.")
    var verifyFirst = false

    @Option(help: "The age identity file (from age-keygen, or an SSH private key) that decrypts an encrypted backup.")
    var identity: String?

    @Flag(name: .shortAndLong, help: "Log each step to stderr.")
    var verbose = false

    func run() throws {
        let config = try options.loadConfig(secrets: .job(job))
        // The --verify-first check is a verification like any other, recorded in the history.
        var history: HistoryStore?
        if verifyFirst {
            do {
                history = try HistoryStore(stateDirectory: config.stateDirectory)
            } catch {
                // A restore (perhaps on a fresh host) must not depend on the history being writable.
                printError("warning: the verification will not be recorded: cannot open the history in \(config.stateDirectory): \(error)")
            }
        }
        let restorer = Restorer(
            stores: liveStores(logger: commandLogger(verbose: verbose)), launcher: PosixProcessLauncher(),
            environment: ProcessInfo.processInfo.environment, history: history)
        let job = try destination.focus(try requireJob(self.job, in: config, path: options.config)) {
            DestinationOption.holds(object, restorer: restorer, job: $0, config: config)
        }
        let started = Date()
        do {
            let result = try restorer.restore(
                job: job, config: config, key: object, options: RestoreOptions(target: to, clean: clean, verifyFirst: verifyFirst),
                identity: identity, logger: commandLogger(verbose: verbose))
            let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
            print("restored \(result.key) into \(result.destination) in \(seconds) s")
            print("  downloaded \(formatSize(result.bytesDownloaded)), restored \(formatSize(result.bytesRestored))")
            print("  sha256 \(result.sha256) (matches the manifest)")
        } catch {
            printError("restore of \(job.name) failed: \(error)")
            throw ExitCode.failure
        }
    }
}
