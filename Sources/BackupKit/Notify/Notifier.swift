import BackupCore
import BackupEngines
import BackupHistory
import ConfigKit
import Foundation
import Logging

/// The `RunObserver` that announces runs to each job's webhooks and healthchecks URL (the job's
/// `notify`, else the top-level one). It only queues: delivery happens on `NotificationSender`'s
/// queue, so a slow or failing endpoint never delays or fails a backup.
public struct Notifier: RunObserver, VerificationObserver {
    /// Delivers the messages.
    public let sender: NotificationSender
    /// This machine's name, sent in every event.
    public let host: String

    /// A notifier delivering through `sender`.
    public init(sender: NotificationSender, host: String = ProcessInfo.processInfo.hostName) {
        self.sender = sender
        self.host = host
    }

    public func runStarted(_ run: ObservedRun) {
        announce(.start, run: run, outcome: nil)
    }

    public func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) {
        announce(NotifyEvent.of(outcome), run: run, outcome: outcome)
        if outcome.suspicious != nil, outcome.status != .failed {
            announce(.backupSuspicious, run: run, outcome: outcome)
        }
    }

    /// The messages `event` becomes under `settings` (one per webhook, one healthchecks ping).
    public func messages(_ event: NotifyEvent, run: ObservedRun, outcome: RunOutcome?, settings: NotifyConfig) -> [NotificationMessage] {
        let redactor = Redactor(secrets: EngineDrivers.secrets(of: run.job) + settings.webhooks + (settings.healthchecks.map { [$0] } ?? []))
        let payload = WebhookPayload(event: event, run: run, outcome: outcome, host: host, redactor: redactor)
        var result: [NotificationMessage] = []
        if !settings.webhooks.isEmpty {
            let (headers, body): ([(name: String, value: String)], [UInt8])
            switch settings.format {
            case .json: (headers, body) = ([("Content-Type", "application/json")], payload.json())
            case .ntfy: (headers, body) = payload.ntfy()
            }
            for url in settings.webhooks {
                result.append(NotificationMessage(url: url, headers: headers + [("User-Agent", "backupd/\(BackupKit.version)")], body: body))
            }
        }
        // healthchecks.io has a success and a failure, already sent for this run.
        if let check = settings.healthchecks, event != .backupSuspicious {
            result.append(HealthchecksPing.message(base: check, event: event, run: run, outcome: outcome, redactor: redactor))
        }
        return result
    }

    /// A failed scheduled or after-backup verification becomes `verification_failed` on the
    /// job's webhooks; healthchecks.io tracks backup runs only, so it is not pinged.
    public func verificationFinished(_ record: VerificationRecord, job: JobConfig, logger: Logger) {
        guard record.failed, record.trigger == .schedule || record.trigger == .afterBackup,
              let settings = job.notify, !settings.webhooks.isEmpty else { return }
        let metadata: Logger.Metadata = [
            "job.name": "\(job.name)", "backup.id": "\(record.backupID)", "notify.event": "\(NotifyEvent.verificationFailed.rawValue)"]
        for message in verificationMessages(record, job: job, settings: settings) {
            sender.send(message, metadata: metadata)
        }
    }

    /// The webhook messages announcing the failed verification `record` of `job`.
    public func verificationMessages(_ record: VerificationRecord, job: JobConfig, settings: NotifyConfig) -> [NotificationMessage] {
        let redactor = Redactor(secrets: EngineDrivers.secrets(of: job) + settings.webhooks + (settings.healthchecks.map { [$0] } ?? []))
        let payload = VerificationPayload(record: record, job: job, host: host, redactor: redactor)
        let (headers, body): ([(name: String, value: String)], [UInt8])
        switch settings.format {
        case .json: (headers, body) = ([("Content-Type", "application/json")], payload.json())
        case .ntfy: (headers, body) = payload.ntfy()
        }
        return settings.webhooks.map { url in
            NotificationMessage(url: url, headers: headers + [("User-Agent", "backupd/\(BackupKit.version)")], body: body)
        }
    }

    private func announce(_ event: NotifyEvent, run: ObservedRun, outcome: RunOutcome?) {
        guard let settings = run.job.notify, !settings.isEmpty else { return }
        let metadata: Logger.Metadata = ["job.name": "\(run.job.name)", "run.id": "\(run.runID)", "notify.event": "\(event.rawValue)"]
        for message in messages(event, run: run, outcome: outcome, settings: settings) {
            sender.send(message, metadata: metadata)
        }
    }
}
