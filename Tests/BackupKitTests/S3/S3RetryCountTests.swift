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

@Suite("S3 retry counting", .ownThreads)
struct S3RetryCountTests {
    /// Each new try after a retryable failure counts once; a request that succeeds first time,
    /// or fails for good (403), adds nothing; a spent budget counts the retries it made.
    @Test func clientCountsRetries() async throws {
        let script = Mutex<[Int]>([503, 500, 200, 200, 403, 503, 503, 503, 503])
        let transport = ScriptedTransport { _ in
            let status = script.withLock { $0.isEmpty ? 200 : $0.removeFirst() }
            return status == 200 ? HTTPResponse(status: 200, headers: ["content-length": "3"]) : errorResponse(status, status == 403 ? "AccessDenied" : "InternalError")
        }
        let client = fakeClient(transport, maxAttempts: 4)
        #expect(client.retries == 0)
        _ = try await client.headObject(key: "a")
        #expect(client.retries == 2)
        _ = try await client.headObject(key: "b")
        #expect(client.retries == 2)
        await #expect(throws: S3Error.self) { _ = try await client.headObject(key: "c") }
        #expect(client.retries == 2)
        await #expect(throws: S3Error.self) { _ = try await client.headObject(key: "d") }
        #expect(client.retries == 5)
        #expect(transport.sent.count == 9)
        #expect(S3ObjectStore(client: client, plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 10_000), partsInFlight: 1, logger: Logger(label: "test")).retries == 5)
    }

    /// The registry adds each run's retries per destination into `backupd_retries_total`, which
    /// starts at 0 for every destination of the job.
    @Test func registryCountsRetriesByDestination() throws {
        var config = try BackupConfig.load(path: "/etc/backupd/config.json", sources: {
            var files = FakeFiles()
            files.files["/etc/backupd/config.json"] = configText { _ in }
            return files.sources
        }()).config
        config.jobs[0].destinations = ["local", "offsite"]
        let registry = MetricsRegistry(config: config, clock: ManualWallClock(Date(timeIntervalSince1970: 1_799_971_200)))
        let zero = MetricsExposition.render(registry)
        #expect(zero.contains("# TYPE backupd_retries_total counter\n"))
        #expect(zero.contains("backupd_retries_total{backup_job=\"app-db\",destination=\"local\"} 0\n"))
        #expect(zero.contains("backupd_retries_total{backup_job=\"app-db\",destination=\"offsite\"} 0\n"))
        let run = ObservedRun(runID: 1, job: config.jobs[0], destination: "local", bucket: nil, trigger: .runNow, scheduledFor: nil,
                              startedAt: Date(timeIntervalSince1970: 1_799_971_200))
        for retries in [["local": 2, "offsite": 0], ["local": 1, "offsite": 4]] {
            var outcome = RunOutcome(status: .failed, endedAt: Date(timeIntervalSince1970: 1_799_971_300))
            outcome.retries = retries
            registry.runFinished(run, outcome: outcome, config: config, logger: Logger(label: "test"))
        }
        let text = MetricsExposition.render(registry)
        #expect(text.contains("backupd_retries_total{backup_job=\"app-db\",destination=\"local\"} 3\n"))
        #expect(text.contains("backupd_retries_total{backup_job=\"app-db\",destination=\"offsite\"} 4\n"))
    }
}
