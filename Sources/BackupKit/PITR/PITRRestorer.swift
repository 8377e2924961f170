import BackupEngines
import ConfigKit
import Foundation
import Glibc
import Logging

/// `backupd restore JOB --time/--lsn/--latest --to-dir DIR`: lays the newest base backup that
/// ends before the target into an empty directory and sets PostgreSQL up to replay the archived
/// WAL to the target (`recovery.signal`, `restore_command` with `wal-fetch`, the target settings
/// with `recovery_target_action = 'promote'` in `postgresql.auto.conf`).
public struct PITRRestorer: Sendable {
    /// Downloads and extracts the base backup.
    public let restorer: Restorer
    /// The `backupd` that `restore_command` runs (absolute).
    public let executable: String
    /// The config file `restore_command` passes (absolute).
    public let configPath: String

    /// A restorer whose `restore_command` runs `executable --config configPath`.
    public init(restorer: Restorer, executable: String, configPath: String) {
        self.restorer = restorer
        self.executable = executable
        self.configPath = configPath
    }

    /// What a restore did.
    public struct Result: Sendable {
        /// The base backup laid down.
        public var backupID: String
        /// Its start and stop in the WAL.
        public var baseBackup: BaseBackupInfo
        /// The settings written to `postgresql.auto.conf`.
        public var settings: [(String, String)]
    }

    /// Restores `job` into `directory` (which must be empty or missing) for `target`, on
    /// `timeline` (nil: the latest); `identity` decrypts an encrypted job's backup and WAL.
    public func restore(
        job: JobConfig, config: BackupConfig, target: RecoveryTarget, timeline: UInt32?, directory: String, identity: String?, logger: Logger
    ) async throws -> Result {
        guard job.pitr != nil else { throw PITRRestoreError.notPITRJob(job: job.name) }
        try Self.prepareEmptyDirectory(directory)
        let restorer = self.restorer
        let entries = try await restorer.catalog(of: job, config: config).entries()
        let candidates = entries.compactMap { entry -> (CatalogEntry, BackupManifest, BaseBackupInfo)? in
            guard entry.isUsable, let manifest = entry.manifest, let info = manifest.baseBackup else { return nil }
            if let timeline, info.stopTimeline > timeline { return nil }
            return (entry, manifest, info)
        }
        // endedAt (the last object stored) is later than the backup's own stop: a safe bound.
        let fitting = candidates.filter { _, manifest, info in
            switch target {
            case .latest: return true
            case .time(let date): return manifest.endedAt <= date
            case .lsn(let lsn): return info.stopLSN <= lsn
            }
        }
        guard let (entry, _, info) = fitting.max(by: { $0.1.endedAt < $1.1.endedAt }) else {
            throw PITRRestoreError.noBaseBackup(job: job.name, target: "\(target)", count: candidates.count)
        }
        logger.info("restoring base backup", metadata: ["job.name": "\(job.name)", "backup.id": "\(entry.id)", "pitr.start_lsn": "\(info.startLSN)"])
        _ = try await restorer.restore(job: job, config: config, key: entry.id, options: RestoreOptions(target: directory), identity: identity, logger: logger)
        var settings = [("restore_command", restoreCommand(job: job.name, identity: identity))]
        settings += target.settings
        settings.append(("recovery_target_timeline", timeline.map(String.init) ?? "latest"))
        try Self.writeRecoveryFiles(directory: directory, settings: settings)
        return Result(backupID: entry.id, baseBackup: info, settings: settings)
    }

    /// `'backupd' wal-fetch --config 'FILE' 'JOB' %f %p` (each word shell-quoted).
    func restoreCommand(job: String, identity: String?) -> String {
        var words = [executable, "wal-fetch", "--config", configPath]
        if let identity { words += ["--identity", identity] }
        words.append(job)
        return words.map(Self.shellQuoted).joined(separator: " ") + " %f %p"
    }

    static func shellQuoted(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-+=:@".unicodeScalars.contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Creates `directory` (0700) or checks that it is an empty directory.
    static func prepareEmptyDirectory(_ directory: String) throws {
        guard directory.hasPrefix("/") else { throw PITRRestoreError.directory(path: directory, reason: "is not an absolute path") }
        var info = stat()
        if stat(directory, &info) != 0 {
            guard mkdir(directory, 0o700) == 0 else { throw PITRRestoreError.directory(path: directory, reason: String(cString: strerror(errno))) }
            return
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw PITRRestoreError.directory(path: directory, reason: "is not a directory") }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? ["?"]
        guard contents.isEmpty else {
            throw PITRRestoreError.directory(path: directory, reason: "is not empty (\(contents.count) entries); restore into an empty directory")
        }
        chmod(directory, 0o700)
    }

    /// Writes `recovery.signal` and appends `settings` to `postgresql.auto.conf`, both owned like `PG_VERSION`.
    static func writeRecoveryFiles(directory: String, settings: [(String, String)]) throws {
        var owner = stat()
        let hasOwner = stat(directory + "/PG_VERSION", &owner) == 0
        let auto = directory + "/postgresql.auto.conf"
        var text = (try? String(contentsOfFile: auto, encoding: .utf8)) ?? ""
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        text += "# Point-in-time recovery set up by backupd restore\n"
        for (name, value) in settings { text += "\(name) = '\(value.replacingOccurrences(of: "'", with: "''"))'\n" }
        for (path, contents) in [(auto, text), (directory + "/recovery.signal", "")] {
            do {
                try contents.write(toFile: path, atomically: false, encoding: .utf8)
            } catch {
                throw PITRRestoreError.directory(path: path, reason: "cannot be written: \(error.localizedDescription)")
            }
            chmod(path, 0o600)
            if hasOwner { chown(path, owner.st_uid, owner.st_gid) }
        }
        if hasOwner { chown(directory, owner.st_uid, owner.st_gid) }
    }
}

/// Why a point-in-time restore could not be done.
public enum PITRRestoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case notPITRJob(job: String)
    case noBaseBackup(job: String, target: String, count: Int)
    case directory(path: String, reason: String)

    public var description: String {
        switch self {
        case .notPITRJob(let job):
            return "job \(job) is not a PITR job; --time, --lsn, --latest and --to-dir restore PITR jobs (\"pitr\" in the job), `backupd restore \(job)` restores its dumps"
        case .noBaseBackup(let job, let target, let count):
            return "job \(job): no base backup ends before the target \(target) (\(count) base backup(s) found); choose a later target or take one with backupd run-now \(job)"
        case .directory(let path, let reason):
            return "\(path) \(reason)"
        }
    }
}
