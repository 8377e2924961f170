import BackupCore
import BackupEngines
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// Verifies a job's backups (and runs restore drills) and records each verification in the
/// history: what `backupd verify`, `verify.afterBackup` and `verify.schedule` share.
public struct VerifyRunner: Sendable {
    /// Which backups to verify.
    public enum Selection: Sendable, Hashable {
        /// The newest complete backup.
        case latest
        /// Every backup, incomplete ones included (they fail).
        case all
        /// One backup by id, manifest key or object key.
        case backup(String)
    }

    /// Opens the job's destination.
    public let stores: any ObjectStoreProvider
    /// Starts the checking and restore tools.
    public let launcher: any ProcessLauncher
    /// backupd's own environment.
    public let environment: [String: String]
    /// The source of time.
    public let clock: any WallClock
    /// Where verifications are recorded (nil: not recorded).
    public let history: HistoryStore?
    /// Where credential directories are made (nil: `SecretDirectory`'s default).
    public let secretsParent: String?
    /// Told about every verification once it is recorded (metrics, notifications).
    public var observers: [any VerificationObserver] = []
    /// What a PITR drill's restored server runs as `restore_command` (nil: PITR drills cannot run).
    public var pitrDrillCommand: PITRDrill.Command? = nil
    /// The scratch directories of PITR drills under way (a signal handler removes them).
    public var pitrScratch = PITRDrill.Scratch()

    /// Creates a runner.
    public init(
        stores: any ObjectStoreProvider, launcher: any ProcessLauncher, environment: [String: String], clock: any WallClock,
        history: HistoryStore?, secretsParent: String? = nil, observers: [any VerificationObserver] = []
    ) {
        self.observers = observers
        self.stores = stores
        self.launcher = launcher
        self.environment = environment
        self.clock = clock
        self.history = history
        self.secretsParent = secretsParent
    }

    var restorer: Restorer {
        Restorer(stores: stores, launcher: launcher, environment: environment, secretsParent: secretsParent)
    }

    /// Verifies the selected backups of `job` at its first destination, with a restore drill into
    /// `restoreTo` when given (a PITR job: into a scratch directory under `restoreToDir`, once, to
    /// the latest point; see `PITRDrill`), records each in the history (naming that destination) and returns
    /// the reports. Encrypted backups are decrypted with the age `identity` file; without one their
    /// digests are checked and the content is not (and a drill, which needs the content, is skipped
    /// for the daemon's own verifications). Throws `VerifyError` when there is nothing to verify,
    /// `DrillError` when a drill cannot start, and the store's errors.
    public func run(
        job: JobConfig, config: BackupConfig, selection: Selection, restoreTo: String? = nil, restoreToDir: String? = nil,
        identity: String? = nil, trigger: VerificationRecord.Trigger, logger: Logger
    ) async throws -> [VerifyReport] {
        var log = logger
        log[metadataKey: "job.name"] = "\(job.name)"
        let store = try restorer.openStore(job: job, config: config)
        let catalog = BackupCatalog(store: store, job: job)
        let entries: [CatalogEntry]
        switch selection {
        case .latest:
            let latest = try await catalog.latest()
            try NewestBackupCheck.reading(history, job: job, config: config, logger: log)?.check(bucketNewest: latest, logger: log)
            guard let latest else { throw VerifyError.noBackups(job: job.name) }
            entries = [latest]
        case .all:
            entries = try await catalog.entries(includeIncomplete: true)
            if entries.isEmpty { throw VerifyError.noBackups(job: job.name) }
        case .backup(let reference):
            guard let entry = try await catalog.entry(named: reference) else {
                throw VerifyError.noSuchBackup(job: job.name, reference: reference)
            }
            entries = [entry]
        }
        let verifier = BackupVerifier(launcher: launcher, environment: environment, clock: clock)
        var reports: [VerifyReport] = []
        var pitrDrillDirectory = job.pitr == nil ? nil : restoreToDir
        for entry in entries {
            if Task.isCancelled { break }
            var entryLog = log
            entryLog[metadataKey: "backup.id"] = "\(entry.id)"
            var report = await verifier.verify(entry, job: job, store: store, identity: identity, logger: entryLog)
            if let restoreTo, report.passed {
                if !report.contentChecked, trigger != .verify {
                    // The daemon holds no identity: a drill could only fail, which would say nothing about the backup.
                    report.contentSkipped = (report.contentSkipped ?? "") + "; the restore drill into \(restoreTo) was skipped"
                } else {
                    do {
                        report.drill = try await RestoreDrill(restorer: restorer, clock: clock)
                            .run(entry, job: job, config: config, scratch: restoreTo, identity: identity, logger: entryLog)
                    } catch EngineError.toolMissing(_, let tool, _, _) {
                        report.couldNotVerify = "\(tool) not installed"
                    }
                }
                report.endedAt = clock.now()
            }
            if let parent = pitrDrillDirectory, report.passed, !Task.isCancelled {
                pitrDrillDirectory = nil
                await drillPITR(job: job, config: config, parent: parent, identity: identity, trigger: trigger, report: &report, logger: entryLog)
            }
            // Cut short, a failed check may only have seen the stop: no verdict, recorded as not
            // verified. One that passed read and checked everything before the stop.
            if Task.isCancelled, !report.passed { report = report.stopped(StopReason.text) }
            var record = VerificationRecord(report, trigger: trigger, destination: job.destination)
            if let history {
                do {
                    record.id = try history.insertVerification(record)
                } catch {
                    entryLog.error("cannot record the verification in the history", metadata: ["error": "\(error)"])
                }
            }
            for observer in observers { observer.verificationFinished(record, job: job, logger: entryLog) }
            if report.passed {
                entryLog.info("backup verified", metadata: ["verify.bytes": "\(report.bytesRead)", "verify.content": "\(report.contentSkipped ?? "checked")"])
            } else if report.couldNotRun {
                entryLog.warning("backup could not be verified here", metadata: ["verify.problems": "\(report.allProblems.joined(separator: "; "))"])
            } else {
                entryLog.error("backup verification failed", metadata: ["verify.problems": "\(report.allProblems.joined(separator: "; "))"])
            }
            reports.append(report)
        }
        return reports
    }
}

/// Why there is nothing to verify.
public enum VerifyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The job has no complete backup.
    case noBackups(job: String)
    /// No backup matches the name given.
    case noSuchBackup(job: String, reference: String)

    public var description: String {
        switch self {
        case .noBackups(let job):
            return "job \(job) has no complete backup to verify; `backupd list \(job) --all` shows incomplete ones"
        case .noSuchBackup(let job, let reference):
            return "job \(job) has no backup \(reference); `backupd list \(job) --all` shows its backups"
        }
    }
}
