import ArgumentParser
import BackupKit
import Foundation

/// `backupd verify JOB [BACKUP | --latest | --all]`: checks stored backups without a database,
/// or with `--restore-to` by restoring into a scratch database.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a job's backups: digests against the manifest, compression, the engine's format; optionally a restore drill.",
        discussion: """
            Streams each object back and recomputes its SHA-256 and size against the manifest, decodes the \
            compression fully (zstd frame checksum, gzip CRC), then checks the engine's format: pg_restore --list \
            (PostgreSQL), the -- Dump completed trailer (MySQL/MariaDB), redis-check-rdb (Redis), mongorestore \
            --dryRun when installed (MongoDB); command jobs by digest. --restore-to SCRATCH (postgres, mysql) \
            also restores into a new scratch database, counts its tables and rows and drops it. An encrypted \
            backup is decrypted with --identity FILE (through age -d -i FILE) before its content is checked; \
            without --identity only its objects' digests are checked, and the report says the content was \
            not (exit 0 when the digests match). Every verification is recorded in the history. Exits 1 when \
            any check fails. For a PITR job it also checks the WAL chain from each base backup's start to the \
            newest archived segment (per timeline): a missing segment is named, with how far recovery from \
            that base backup now reaches. --restore-to-dir DIR (PITR jobs) restores to the latest point into a \
            scratch directory under DIR, starts PostgreSQL on it (as pitr.archiveUser when run as root) until \
            recovery ends, queries it, stops it and removes the directory.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job's name.", completion: JobNameCompletion.kind)
    var job: String

    @Argument(help: "The backup id (or one of its object keys); default: the newest.")
    var backup: String?

    @Flag(help: "Verify the newest complete backup (the default).")
    var latest = false

    @Flag(help: "Verify every backup of the job, incomplete ones included (they fail).")
    var all = false

    @Option(name: .customLong("restore-to"), help: ArgumentHelp("Also restore into this new scratch database, count, and drop it.", valueName: "SCRATCH"))
    var restoreTo: String?

    @Option(name: .customLong("restore-to-dir"), help: ArgumentHelp("A PITR job's drill: restore to the latest point into a scratch directory under DIR, start PostgreSQL on it, query, stop, remove.", valueName: "DIR"))
    var restoreToDir: String?

    @Option(help: "The age identity file (from age-keygen, or an SSH private key) that decrypts an encrypted backup for the content checks.")
    var identity: String?

    @OptionGroup var destination: DestinationOption

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(name: .shortAndLong, help: "Log each step to stderr.")
    var verbose = false

    func validate() throws {
        if [backup != nil, latest, all].filter({ $0 }).count > 1 {
            throw ValidationError("give one of BACKUP, --latest or --all")
        }
    }

    func run() async throws {
        let config = try options.loadConfig()
        let backups = JobBackups(config: config, logger: commandLogger(verbose: false))
        let job = try await destination.focus(try requireJob(self.job, in: config, path: options.config), in: backups, holding: backup)
        var logger = commandLogger(verbose: verbose)
        // The report says what failed; the library's log lines would only repeat it.
        if !verbose { logger.logLevel = .critical }
        let verification: JobVerification
        do {
            verification = try JobVerification(config: config, logger: logger)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        let terminal = TerminalProgress.start(label: "verifying", json: json)
        // SIGTERM/SIGINT: every tool started (a drill's restore, age, a checker) is killed, not
        // left running in its own process group; the verification under way records nothing.
        let launcher = verification.launcher
        let scratch = verification.pitrScratch
        let signals = stopOnSignals { number in
            launcher.stopAll()
            scratch.removeAll()
            printError("verify of \(job.name) stopped: interrupted by signal \(number); the backup being verified has no verdict")
            Foundation.exit(130)
        }
        defer { signals.forEach { $0.cancel() } }
        let selection: VerifyRunner.Selection = all ? .all : backup.map { .backup($0) } ?? .latest
        let reports: [VerifyReport]
        do {
            reports = try await verification.run(
                job: job, selection: selection, restoreTo: restoreTo, restoreToDir: restoreToDir.map(PITRDrill.Command.absolute),
                drillCommand: .current(configPath: options.config),
                identity: identity, progress: terminal?.progress, logger: logger)
        } catch {
            terminal?.finish()
            printError("verify of \(job.name) failed: \(error)")
            throw ExitCode.failure
        }
        terminal?.finish()
        if json {
            print(try VerifyReport.json(reports), terminator: "")
        } else {
            for report in reports { print(report.render(), terminator: "") }
        }
        for report in reports where report.passed && !report.contentChecked {
            printError("backup \(report.backupId) of \(job.name): content not checked: \(report.contentSkipped ?? "")")
        }
        let failed = reports.filter { !$0.passed }
        let chainComplete = await verifyWALChain(
            job: job, verification: verification, baseFailedAt: failed.contains { !$0.couldNotRun } ? job.destination : nil)
        if !chainComplete && failed.isEmpty { throw ExitCode.failure }
        if !failed.isEmpty {
            for report in failed {
                printError(report.couldNotRun
                    ? "backup \(report.backupId) of \(job.name) could not be verified here (not a problem of the backup):"
                    : "backup \(report.backupId) of \(job.name) FAILED verification:")
                for problem in report.allProblems { printError("  \(problem)") }
            }
            throw ExitCode.failure
        }
    }
}

/// Runs `stop` (which exits) on SIGINT or SIGTERM.
private func stopOnSignals(_ stop: @escaping @Sendable (Int32) -> Void) -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { stop(number) }
        source.resume()
        return source
    }
}
