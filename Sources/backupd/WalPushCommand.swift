import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `backupd wal-push --config FILE JOB %p`: PostgreSQL's `archive_command` for a PITR job.
struct WalPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal-push",
        abstract: "Archive one WAL file through the running daemon (PostgreSQL's archive_command).",
        discussion: """
            Set archive_command = 'backupd wal-push --config FILE JOB %p' in postgresql.conf. It runs as the \
            server's user (the job's pitr.archiveUser), reads the file and hands it to the daemon over its \
            control socket; the daemon stores it (zstd, age when the job is encrypted) at every destination of \
            the job and only then answers. Exits 0 only when the file is stored (or was already, with the same \
            content); otherwise 1, and PostgreSQL keeps the file and tries again. No S3 credential is read. \
            While the daemon stores the file, wal-push also hands it the next segment waiting in \
            pg_wal/archive_status, which the daemon stores at once; that segment's own push is answered \
            only once a HEAD at every destination finds it with the same SHA-256.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The PITR job's name.")
    var job: String

    @Argument(help: "The WAL file's path (%p).")
    var path: String

    func run() async throws {
        // No secret is read: the database's user needs only the config's structure.
        let config = try options.loadConfigQuietly(secrets: .none)
        do {
            let done = try await WALPushClient.push(job: job, path: path, stateDirectory: config.stateDirectory)
            if ProcessInfo.processInfo.environment["BACKUPD_WAL_VERBOSE"] != nil { printError(done) }
        } catch {
            printError("wal-push: \(error)")
            throw ExitCode.failure
        }
    }
}

extension GlobalOptions {
    /// Loads the config printing only what stops it: PostgreSQL logs every line a WAL command
    /// writes, once per file, so warnings (shown by `backupd validate`) are left out here.
    func loadConfigQuietly(secrets: SecretScope) throws -> BackupConfig {
        do {
            return try BackupConfig.load(path: config, secrets: secrets).config
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }
}
