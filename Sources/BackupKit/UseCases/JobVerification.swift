import BackupCore
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// `backupd verify`: verifies a job's stored backups (optionally with a restore drill), records
/// each verification in the history, and checks a PITR job's WAL chain.
public struct JobVerification: Sendable {
    /// Every tool a verification starts (a drill's restore, age, a checker), so that a signal can stop them all.
    public let launcher: TrackingProcessLauncher
    /// Where verifications are recorded.
    public let history: HistoryStore
    /// The config whose job is verified.
    public let config: BackupConfig
    private let stores: any ObjectStoreProvider
    private let environment: [String: String]

    /// Verification of `config`'s jobs over `stores`; opens the history for writing.
    public init(
        config: BackupConfig, stores: any ObjectStoreProvider, launcher: any ProcessLauncher = PosixProcessLauncher(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(CommandHistoryError) {
        history = try CommandHistory.writable(config)
        self.config = config
        self.stores = stores
        self.launcher = TrackingProcessLauncher(launcher)
        self.environment = environment
    }

    /// Verification over S3 (libcurl), logging to `logger`.
    public init(config: BackupConfig, logger: Logger) throws(CommandHistoryError) {
        try self.init(config: config, stores: S3StoreProvider(logger: logger))
    }

    /// Verifies the `selection` of `job`'s backups (a drill into `restoreTo` when given, an
    /// encrypted backup decrypted with `identity`), recorded with trigger `verify`; `progress`
    /// counts the bytes read. Throws what `VerifyRunner.run` throws.
    public func run(
        job: JobConfig, selection: VerifyRunner.Selection, restoreTo: String?, identity: String?, progress: TransferProgress?, logger: Logger
    ) async throws -> [VerifyReport] {
        let runner = VerifyRunner(
            stores: progress.map { ProgressStoreProvider(stores, progress: $0, measure: .backup) } ?? stores, launcher: launcher,
            environment: environment, clock: SystemWallClock(), history: history)
        return try await runner.run(
            job: job, config: config, selection: selection, restoreTo: restoreTo, identity: identity, trigger: .verify, logger: logger)
    }

    /// The WAL chain of a PITR job from each base backup's start to the newest archived segment
    /// (nil for a job without PITR); throws when the archive cannot be listed.
    public func walChain(of job: JobConfig, logger: Logger) async throws -> [WALChain.Result]? {
        guard job.pitr != nil else { return nil }
        return try await WALChainVerifier(stores: S3StoreProvider(logger: logger)).check(job: job, config: config, logger: logger)
    }
}
