import BackupTestSupport
import Foundation
import Logging
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Observers get the run's follow-up cancellation (what stops the after-backup prune), linked to
/// the run's own.
@Suite(.ownThreads) struct FollowUpCancellationTests {
    struct Succeeds: BackupExecutor {
        func execute(
            job: JobConfig, config: BackupConfig, startedAt: Date, cancellation: RunCancellation,
            progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
        ) -> RunOutcome {
            RunOutcome(status: .succeeded, endedAt: startedAt, bytesRead: 1, bytesStored: 1, objectKey: "db/app-20261201T020000Z.txt", sha256: "00")
        }
    }

    final class Capture: RunObserver {
        let seen = Mutex<[RunCancellation]>([])
        func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) {
            seen.withLock { $0.append(run.cancellation) }
        }
    }

    /// The observer sees `followUp`, not the run's token; cancelling the run cancels the
    /// follow-up, and cancelling the follow-up leaves the run alone. Without a follow-up the
    /// observer gets the run's token.
    @Test func observersGetTheLinkedFollowUp() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let json = """
            {"stateDirectory": "\(tmp.path)", "destinations": [{"name": "d", "endpoint": "http://127.0.0.1:9000", "region": "r",
              "bucket": "backups", "accessKeyId": "AKID", "secretAccessKey": "s"}],
             "jobs": [{"name": "app", "engine": "command", "schedule": "0 3 * * *", "destination": "d", "prefix": "db",
                       "connection": {"argv": ["true"], "extension": ".txt"}}]}
            """
        let sources = ConfigSources(environment: [:], readFile: { _ in [] }, permissions: { _ in 0o600 }, isReadable: { _ in true })
        let config = try BackupConfig.parse(Array(json.utf8), file: "/test/config.json", sources: sources).config
        let clock = ManualWallClock(Date(timeIntervalSince1970: 1_796_090_400))
        let capture = Capture()
        let recorder = RunRecorder(history: try HistoryStore(stateDirectory: tmp.path), executor: Succeeds(), clock: clock, observers: [capture])
        let run = ScheduledRun(job: "app", trigger: .runNow, scheduledFor: clock.now())

        let cancellation = RunCancellation()
        let followUp = RunCancellation()
        _ = try await recorder.perform(run, job: config.jobs[0], config: config, cancellation: cancellation, followUp: followUp, logger: Logger(label: "t"))
        #expect(capture.seen.withLock { $0.last } === followUp)
        cancellation.cancel(reason: "grace period over")
        #expect(followUp.reason == "grace period over")

        let other = RunCancellation()
        let otherFollowUp = RunCancellation()
        _ = try await recorder.perform(run, job: config.jobs[0], config: config, cancellation: other, followUp: otherFollowUp, logger: Logger(label: "t"))
        otherFollowUp.cancel(reason: "backupd is stopping")
        #expect(other.reason == nil)

        let alone = RunCancellation()
        _ = try await recorder.perform(run, job: config.jobs[0], config: config, cancellation: alone, logger: Logger(label: "t"))
        #expect(capture.seen.withLock { $0.last } === alone)
    }
}
