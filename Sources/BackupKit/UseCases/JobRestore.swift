import BackupCore
import BackupEngines
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// `backupd restore`: streams a job's backup back into its database (or a file), or a PITR job's
/// base backup and WAL into a directory.
public struct JobRestore: Sendable {
    /// The config whose job is restored.
    public let config: BackupConfig
    /// Reads the job's backups (to choose the destination).
    public let backups: JobBackups
    /// Where a `verifyFirst` check is recorded, and the history the newest backup is cross-checked with.
    public let history: HistoryStore?
    /// Whether each restore verifies the whole backup before touching the target.
    public let verifyFirst: Bool
    private let stores: any ObjectStoreProvider
    private let launcher: any ProcessLauncher
    private let environment: [String: String]

    /// A restore of `config`'s jobs through `stores`. With `verifyFirst` the history is opened for
    /// writing (a warning to `warn` when it cannot be: a restore must not depend on it); otherwise,
    /// and when that fails, read-only when it exists.
    public init(
        config: BackupConfig, stores: any ObjectStoreProvider, verifyFirst: Bool, launcher: any ProcessLauncher = PosixProcessLauncher(),
        environment: [String: String] = ProcessInfo.processInfo.environment, warn: (String) -> Void
    ) {
        var history: HistoryStore?
        if verifyFirst {
            do {
                history = try CommandHistory.writable(config)
            } catch {
                warn("warning: the verification will not be recorded: \(error)")
            }
        }
        self.history = history ?? CommandHistory.existing(config, warn: warn)
        self.config = config
        self.verifyFirst = verifyFirst
        self.backups = JobBackups(config: config, stores: stores)
        self.stores = stores
        self.launcher = launcher
        self.environment = environment
    }

    /// A restore over S3 (libcurl), logging to `logger`.
    public init(config: BackupConfig, verifyFirst: Bool, logger: Logger, warn: (String) -> Void) {
        self.init(config: config, stores: S3StoreProvider(logger: logger), verifyFirst: verifyFirst, warn: warn)
    }

    /// Restores `object` of `job` (default: the newest complete backup) into `target` (default:
    /// the job's own database), dropping what exists first with `clean`, verifying the whole backup
    /// first when the restore was made with `verifyFirst`; `progress` counts the download. Throws
    /// what `Restorer.restore` throws.
    public func restore(
        job: JobConfig, object: String?, target: String?, clean: Bool, tool: JobRestoreOptions, identity: String?,
        progress: TransferProgress?, logger: Logger
    ) async throws -> Restorer.Result {
        let options = RestoreOptions(target: target, clean: clean, verifyFirst: verifyFirst, tool: tool)
        let counted = Restorer(
            stores: progress.map { ProgressStoreProvider(stores, progress: $0, measure: .object) } ?? stores, launcher: launcher,
            environment: environment, history: history)
        return try await counted.restore(job: job, config: config, key: object, options: options, identity: identity, logger: logger)
    }

    /// Restores a PITR `job`'s newest base backup that ends before `target` into `directory` (absolute)
    /// and sets up recovery, with WAL fetched by `executable wal-fetch --config configPath`.
    public func restorePITR(
        job: JobConfig, target: RecoveryTarget, timeline: UInt32?, directory: String, identity: String?,
        executable: String, configPath: String, logger: Logger
    ) async throws -> PITRRestorer.Result {
        let restorer = PITRRestorer(
            restorer: Restorer(stores: stores, launcher: launcher, environment: environment, history: history),
            executable: executable, configPath: configPath)
        return try await restorer.restore(
            job: job, config: config, target: target, timeline: timeline, directory: directory, identity: identity, logger: logger)
    }
}
