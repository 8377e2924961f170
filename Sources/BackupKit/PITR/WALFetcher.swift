import BackupCore
import ConfigKit
import Foundation
import Glibc
import Logging

/// `wal-fetch`: PostgreSQL's `restore_command`. Reads the WAL file straight from the bucket with
/// the config's credentials (a restore must work on a fresh host where no daemon runs), checks it
/// against its recorded digest and writes it atomically where PostgreSQL asked.
public struct WALFetcher: Sendable {
    /// Opens a destination's WAL store.
    let makeStore: @Sendable (DestinationConfig) -> any WALStore
    let launcher: any ProcessLauncher
    let environment: [String: String]

    /// A fetcher reading through `makeStore` (default: S3); age runs through `launcher`.
    public init(launcher: any ProcessLauncher, environment: [String: String], logger: Logger, makeStore: (@Sendable (DestinationConfig) -> any WALStore)? = nil) {
        self.launcher = launcher
        self.environment = environment
        self.makeStore = makeStore ?? { S3WALStore(destination: $0, logger: logger) }
    }

    /// The fetcher `backupd wal-fetch` uses: S3 over libcurl, age as a child process of this one.
    public static func live(logger: Logger) -> WALFetcher {
        WALFetcher(launcher: PosixProcessLauncher(), environment: ProcessInfo.processInfo.environment, logger: logger)
    }

    /// Writes WAL file `name` of `job` to `path` (relative to the current directory, as
    /// PostgreSQL gives it) from the first of the job's destinations that gives it whole (one that
    /// cannot, unreachable or holding a corrupt copy, is passed over for the next).
    /// Throws `WALError.notFound` only when every destination answered that it does not have the
    /// file (PostgreSQL then ends recovery there, as at the end of the archive), and
    /// `WALError.fetchFailed` when none gave it and some could not answer: absence is not proven,
    /// so recovery must stop rather than end early.
    public func fetch(job: JobConfig, config: BackupConfig, name rawName: String, to path: String, identity: String?) async throws {
        guard job.pitr != nil else { throw WALError.notPITRJob(job: job.name) }
        guard let name = WALFileName(rawName) else { throw WALError.badName(name: rawName) }
        var contents: [UInt8]?
        var failure: WALError?
        let archives = WALArchive.everyDestination(of: job, config: config, store: makeStore, launcher: launcher, environment: environment)
        for (destinationName, archive) in archives {
            do {
                contents = try await archive.fetch(name: name, identity: identity)
                break
            } catch WALError.notFound {
                continue
            } catch {
                failure = failure ?? .fetchFailed(job: job.name, name: rawName, destination: destinationName, detail: "\(error)")
            }
        }
        guard let contents else { throw failure ?? WALError.notFound(job: job.name, name: rawName) }
        try Self.writeAtomically(contents, to: path)
    }

    /// Writes to a temporary name beside `path`, syncs, and renames over `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".backupd-partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WALError.cannotWrite(path: temporary, detail: "\(String(cString: strerror(errno)))") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        let written = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        let synced = written && fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            throw WALError.cannotWrite(path: path, detail: "\(String(cString: strerror(errno)))")
        }
        ok = true
    }
}
