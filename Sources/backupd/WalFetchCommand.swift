import ArgumentParser
import BackupKit
import Foundation

/// `backupd wal-fetch --config FILE JOB %f %p`: PostgreSQL's `restore_command` for a PITR job.
struct WalFetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-fetch",
        abstract: "Fetch one archived WAL file (PostgreSQL's restore_command).",
        discussion: """
            `backupd restore JOB --to-dir DIR` writes restore_command = 'backupd wal-fetch --config FILE JOB %f %p'. \
            The file is read from the bucket with the config's credentials (no daemon needed, so a restore works on \
            a fresh host), checked against the SHA-256 recorded when it was archived, and written to %p atomically. \
            Exits 1 when the archive does not have it (every destination says so), as PostgreSQL expects at \
            the end of the archive. Exits 255 when it cannot tell (a destination unreachable, a corrupt \
            copy, no --identity for an encrypted job, %p not writable): PostgreSQL takes an exit status \
            above 125 as fatal and stops recovery there, instead of ending it early and promoting a \
            cluster that silently lacks the rest of the WAL.
            """)

    /// The exit status that makes PostgreSQL stop recovery (any status above 125 is fatal to it).
    static let stopRecovery: Int32 = 255

    @OptionGroup var options: GlobalOptions

    @Option(help: "The age identity file that decrypts an encrypted job's WAL.")
    var identity: String?

    @Argument(help: "The PITR job's name.")
    var job: String

    @Argument(help: "The WAL file's name (%f).")
    var name: String

    @Argument(help: "Where to write it (%p).")
    var path: String

    func run() async throws {
        do {
            let config = try options.loadConfigQuietly(secrets: .destinationOf(job: job))
            let job = try requireJob(self.job, in: config, path: options.config)
            let fetcher = WALFetcher.live(logger: commandLogger(verbose: false))
            try await fetcher.fetch(job: job, config: config, name: name, to: path, identity: identity)
        } catch let error as WALError {
            printError("wal-fetch: \(error)")
            if case .notFound = error { throw ExitCode.failure }
            throw ExitCode(Self.stopRecovery)
        } catch is ExitCode {
            // The config's problem is printed already; a config the server's user cannot read (or
            // a job it lacks) says nothing about the archive's end either.
            throw ExitCode(Self.stopRecovery)
        } catch {
            printError("wal-fetch: \(error)")
            throw ExitCode(Self.stopRecovery)
        }
    }
}
