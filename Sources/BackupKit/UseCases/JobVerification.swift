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
    /// The scratch directories of PITR drills under way, for a signal handler to remove after `launcher.stopAll()`.
    public let pitrScratch = PITRDrill.Scratch()
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

    /// Verifies the `selection` of `job`'s backups (a drill into `restoreTo` when given; a PITR
    /// job's drill under `restoreToDir`, its restored server fetching WAL through `drillCommand`;
    /// an encrypted backup decrypted with `identity`), recorded with trigger `verify`; `progress`
    /// counts the bytes read. Throws `PITRDrillError.wrongDrill` for the other kind of job's drill,
    /// and what `VerifyRunner.run` throws.
    public func run(
        job: JobConfig, selection: VerifyRunner.Selection, restoreTo: String?, restoreToDir: String? = nil,
        drillCommand: PITRDrill.Command? = nil, identity: String?, progress: TransferProgress?, logger: Logger
    ) async throws -> [VerifyReport] {
        if restoreToDir != nil, job.pitr == nil { throw PITRDrillError.wrongDrill(job: job.name, pitr: false) }
        if restoreTo != nil, job.pitr != nil { throw PITRDrillError.wrongDrill(job: job.name, pitr: true) }
        var runner = VerifyRunner(
            stores: progress.map { ProgressStoreProvider(stores, progress: $0, measure: .backup) } ?? stores, launcher: launcher,
            environment: environment, clock: SystemWallClock(), history: history)
        runner.pitrDrillCommand = drillCommand
        runner.pitrScratch = pitrScratch
        return try await runner.run(
            job: job, config: config, selection: selection, restoreTo: restoreTo, restoreToDir: restoreToDir, identity: identity,
            trigger: .verify, logger: logger)
    }

    /// A PITR job's WAL chain checked at every destination of `job` (only those in `only` when
    /// given), each destination's check recorded in the history as a verification row (`walChainRow`):
    /// the chains (nil for a job without PITR), and a line for each row that could not be recorded.
    /// `baseFailedAt` names the destination whose base backup failed its verification in this run,
    /// so that destination's chain row fails too. Throws when the job's destinations cannot be resolved.
    public func walChains(
        of job: JobConfig, only: [String]?, baseFailedAt: String?, render: (WALChain.Result) -> String, logger: Logger
    ) async throws -> (chains: [WALChainVerifier.DestinationChains], unrecorded: [String])? {
        guard job.pitr != nil else { return nil }
        let chains = try await WALChainVerifier(stores: stores)
            .checkAll(job: job, config: config, destinations: only, clock: SystemWallClock(), logger: logger)
        var unrecorded: [String] = []
        for chain in chains {
            let record = chain.record(job: job.name, trigger: .verify, baseFailed: baseFailedAt == chain.destination, render: render)
            do {
                _ = try history.insertVerification(record)
            } catch {
                unrecorded.append("cannot record the WAL chain check of \(job.name) at \(chain.destination) in the history: \(error)")
            }
        }
        return (chains, unrecorded)
    }
}
