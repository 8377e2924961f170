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
            Exits 1 when the archive does not have it, as PostgreSQL expects at the end of the archive.
            """)

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
        let config = try options.loadConfigQuietly(secrets: .destinationOf(job: job))
        let job = try requireJob(self.job, in: config, path: options.config)
        let fetcher = WALFetcher.live(logger: commandLogger(verbose: false))
        do {
            try await fetcher.fetch(job: job, config: config, name: name, to: path, identity: identity)
        } catch {
            printError("wal-fetch: \(error)")
            throw ExitCode.failure
        }
    }
}
