import BackupTestSupport
import Foundation
import Logging
import SigV4
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Outages, lost endpoints and stalls injected by the fault proxy in front of radosgw.
@Suite("Network outages", .ownThreads)
struct OutageTests {
    /// The endpoint refusing connections for 20 s in the middle of an upload costs a wait, not the
    /// backup: the stored bytes (read back with the AWS CLI) are the stream's, no upload stays
    /// open, and the producer was held back (backpressure) during the outage.
    @Test func twentySecondOutageMidUploadIsSurvived() async throws {
        let fixture = try await NetworkFixture("outage")
        defer { fixture.tearDown() }
        let destination = try #require(try fixture.config(destination: ["retryFor": "2m"]).destinations.first)
        let store = S3ObjectStore(destination: destination, logger: Logger(label: "test.net"))
        let length = 40 << 20
        let producedAtRestore = ProducedCount()
        let counter = Mutex<ProducedCount?>(nil)
        let source = TriggerSource(PatternSource(length: length), at: 12 << 20) {
            fixture.proxy.refuse()
            DispatchQueue.global().asyncAfter(deadline: .now() + 20) {
                let read = counter.withLock { $0 }?.value.withLock { $0 } ?? 0
                producedAtRestore.value.withLock { $0 = read }
                try? fixture.proxy.restore()
            }
        }
        counter.withLock { $0 = source.produced }
        let started = Date()
        let receipt = try await store.uploadStream(
            key: "db/outage.bin", from: source, metadata: [:], expectedSize: nil,
            uploadStarted: { _ in })
        #expect(Date().timeIntervalSince(started) >= 20)
        let expected = PatternSource.bytes(length: length).withUnsafeBytes { SHA256.hex(SHA256.hash($0)) }
        let sizes = receipt.segments.flatMap(\.parts).map(\.size)
        #expect(sizes.reduce(0, +) == Int64(length))
        #expect(receipt.sha256 == ExpectedDigest.byParts(PatternSource.bytes(length: length), sizes: sizes))
        #expect(receipt.size == Int64(length))
        #expect(try fixture.awsSHA256(of: "db/outage.bin") == expected)
        await #expect(try fixture.openUploads().isEmpty)
        // Two parts in flight and three buffers: the producer cannot get further than that ahead.
        #expect(producedAtRestore.value.withLock { $0 } <= (12 << 20) + 4 * (5 << 20))
    }

    /// An endpoint lost for good mid-upload fails the upload after `retryFor`; the abort fails too
    /// and is kept as abort pending; once the endpoint is back, the running sweeper aborts it
    /// (no restart) and nothing stays billed.
    @Test func lostEndpointUploadIsAbortedByTheSweeperOnceBack() async throws {
        let fixture = try await NetworkFixture("lost")
        defer { fixture.tearDown() }
        let config = try fixture.config(destination: ["retryFor": "3s"])
        let provider = fixture.provider()
        let store = try provider.store(for: config.destinations[0])
        let source = TriggerSource(PatternSource(length: 30 << 20), at: 8 << 20) { fixture.proxy.refuse() }
        await #expect(throws: S3Error.self) {
            try await store.uploadStream(
                key: "db/lost.bin", from: source, metadata: [:], expectedSize: nil,
                uploadStarted: { _ in })
        }
        let pending = try fixture.history.pendingAborts()
        #expect(pending.map(\.key) == ["db/lost.bin"])
        await #expect(try fixture.openUploads().map(\.uploadID) == pending.map(\.uploadID))

        let sweeper = UploadSweeper(
            history: fixture.history, configuration: { config }, stores: provider, clock: SystemWallClock(),
            interval: .seconds(1), logger: Logger(label: "test.sweeper"))
        let running = Task { try await sweeper.run() }
        defer { running.cancel() }
        for _ in 0..<120 where try fixture.history.pendingAborts().first?.attempts ?? 0 < 2 {
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(try fixture.history.pendingAborts().first?.attempts ?? 0 >= 2, "the sweeper retried while the endpoint was down")
        try fixture.proxy.restore()
        for _ in 0..<40 where try !fixture.history.pendingAborts().isEmpty {
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(try fixture.history.pendingAborts().isEmpty)
        await #expect(try fixture.openUploads().isEmpty)
    }

    /// A stalled endpoint (bytes stop, connections stay open) ends by the job's timeout within
    /// seconds: one failed history outcome naming the timeout; the abort that could not get
    /// through is pending and the sweeper completes it when the endpoint is back.
    @Test func stallEndsByTheJobTimeout() async throws {
        let fixture = try await NetworkFixture("stall")
        defer { fixture.tearDown() }
        let config = try fixture.config(
            destination: ["retryFor": "5m"],
            jobs: [NetworkFixture.commandJob(
                "stall", argv: ["sh", "-c", "head -c 20000000 /dev/urandom; sleep 4; head -c 20000000 /dev/urandom"], timeout: "6s")])
        let provider = fixture.provider()
        let runner = BackupRunner(
            stores: provider, launcher: PosixProcessLauncher(), clock: SystemWallClock(),
            environment: ProcessInfo.processInfo.environment)
        let recorder = RunRecorder(history: fixture.history, executor: runner, clock: SystemWallClock())
        let job = config.jobs[0]
        // The endpoint stalls once the upload is under way (its id recorded). At a fixed time, a run
        // slow to start on a loaded machine met the stall in CreateMultipartUpload instead, whose
        // upload id it never learns (only the orphan sweep, after the job's timeout, finds that one).
        DispatchQueue.global().async {
            let limit = Date().addingTimeInterval(30)
            func underWay() -> Bool {
                guard let run = try? fixture.history.runningRuns().first else { return false }
                return (try? fixture.history.destinationUploads(runIDs: [run.id])[run.id])?.contains { $0.uploadID != nil } == true
            }
            while Date() < limit, !underWay() { usleep(20_000) }
            fixture.proxy.stall()
        }
        let started = Date()
        let (runID, outcome) = try await recorder.perform(
            ScheduledRun(job: job.name, trigger: .runNow, scheduledFor: started), job: job, config: config, cancellation: RunCancellation(), logger: Logger(label: "test.stall"))
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 16, "took \(elapsed) s")
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("timed out after 6s") == true, "\(outcome.error ?? "")")
        #expect(try fixture.history.runs().map(\.id) == [runID])
        #expect(try fixture.history.run(id: runID)?.status == .failed)

        try fixture.proxy.restore()
        let sweeper = UploadSweeper(
            history: fixture.history, configuration: { config }, stores: provider, clock: SystemWallClock(),
            logger: Logger(label: "test.sweeper"))
        try await sweeper.sweepOnce()
        #expect(try fixture.history.pendingAborts().isEmpty)
        await #expect(try fixture.openUploads().isEmpty)
    }

    /// The sweeper aborts a job's upload that no live run owns once it is older than the job's
    /// timeout (by the provider's Initiated), and leaves alone one a running run owns, one of
    /// another job and a stranger's (a key under the job's prefix that is no backup name).
    @Test func sweeperAbortsOrphansOlderThanTheJobTimeout() async throws {
        let fixture = try await NetworkFixture("orphan")
        defer { fixture.tearDown() }
        let config = try fixture.config(jobs: [NetworkFixture.commandJob("app", argv: ["true"], timeout: "1h")])
        let orphan = try await fixture.direct.createMultipartUpload(key: "db/app-20261201T000000Z.bin")
        let owned = try await fixture.direct.createMultipartUpload(key: "db/app-20261201T010000Z.bin")
        let other = try await fixture.direct.createMultipartUpload(key: "db/other-20261201T000000Z.bin")
        let stranger = try await fixture.direct.createMultipartUpload(key: "db/app-20261201T000000Z.tar.gz")
        let run = try fixture.history.insertRunning(job: "app", trigger: .schedule, scheduledAt: nil, startedAt: Date())
        try fixture.history.updateProgress(runID: run, RunProgress(uploadID: owned, destination: "s3", bucket: fixture.bucket, objectKey: "db/app-20261201T010000Z.bin"))

        let young = UploadSweeper(
            history: fixture.history, configuration: { config }, stores: fixture.provider(), clock: SystemWallClock(),
            logger: Logger(label: "test.sweeper"))
        await #expect(try young.sweepOnce().orphansAborted.isEmpty)
        let later = UploadSweeper(
            history: fixture.history, configuration: { config }, stores: fixture.provider(),
            clock: ManualWallClock(Date().addingTimeInterval(7200)), logger: Logger(label: "test.sweeper"))
        await #expect(try later.sweepOnce().orphansAborted == [orphan])
        await #expect(Set(try fixture.openUploads().map(\.uploadID)) == [owned, other, stranger])
        try await fixture.direct.abortMultipartUpload(key: "db/app-20261201T010000Z.bin", uploadID: owned)
        try await fixture.direct.abortMultipartUpload(key: "db/other-20261201T000000Z.bin", uploadID: other)
        try await fixture.direct.abortMultipartUpload(key: "db/app-20261201T000000Z.tar.gz", uploadID: stranger)
    }

    /// A 503 burst on new connections is retried (re-signed) and the upload completes intact.
    @Test func serviceUnavailableBurstIsRetried() async throws {
        let fixture = try await NetworkFixture("burst")
        defer { fixture.tearDown() }
        let destination = try #require(try fixture.config().destinations.first)
        let store = S3ObjectStore(destination: destination, logger: Logger(label: "test.net"))
        let source = TriggerSource(PatternSource(length: 16 << 20), at: 6 << 20) {
            fixture.proxy.failNext(4)
            fixture.proxy.refuse()
            try? fixture.proxy.restore()
        }
        let receipt = try await store.uploadStream(
            key: "db/burst.bin", from: source, metadata: [:], expectedSize: nil, uploadStarted: { _ in })
        #expect(fixture.proxy.faults.errorsSent == 4)
        #expect(try fixture.awsSHA256(of: "db/burst.bin") == PatternSource.bytes(length: 16 << 20).withUnsafeBytes { SHA256.hex(SHA256.hash($0)) })
        let sizes = receipt.segments.flatMap(\.parts).map(\.size)
        #expect(receipt.sha256 == ExpectedDigest.byParts(PatternSource.bytes(length: 16 << 20), sizes: sizes))
        await #expect(try fixture.openUploads().isEmpty)
    }
}
