import BackupTestSupport
import Cron
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

@Suite("Verifications in the history", .serialized, .ownThreads)
struct VerificationHistoryTests {
    /// A verification is recorded with its trigger, result and drill counts; the newest per backup is found.
    @Test func recordAndRead() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        try store.insertVerification(VerificationRecord(
            job: "db", backupID: "db-1", manifestKey: "p/db-1.manifest.json", trigger: .verify, startedAt: pipelineStart,
            endedAt: pipelineStart + 1, passed: true, bytesRead: 10, objects: 1))
        try store.insertVerification(VerificationRecord(
            job: "db", backupID: "db-1", manifestKey: nil, trigger: .schedule, startedAt: pipelineStart + 10, endedAt: pipelineStart + 11,
            passed: false, drillDatabase: "scratch", drillTables: 3, drillRows: 42, error: "x: SHA-256 expected a, found b"))
        let last = try #require(try store.lastVerifications(job: "db")["db-1"])
        #expect(last.trigger == .schedule && !last.passed && last.drillRows == 42 && last.drillTables == 3)
        #expect(try store.verifications(job: "db").map(\.trigger) == [.schedule, .verify])
        #expect(try store.verifications(job: "other").isEmpty)
    }

    /// Each row keeps the destination whose copy it read; a destination's last verifications are
    /// its own and those of rows that name none (recorded before destinations were).
    @Test func lastVerificationPerDestination() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        func record(_ backup: String, _ destination: String?, passed: Bool, at offset: Double) throws {
            try store.insertVerification(VerificationRecord(
                job: "db", backupID: backup, manifestKey: nil, trigger: .schedule, startedAt: pipelineStart + offset,
                endedAt: pipelineStart + offset + 1, passed: passed, destination: destination))
        }
        try record("db-1", "a", passed: true, at: 0)
        try record("db-1", "b", passed: false, at: 10)
        try record("db-0", nil, passed: true, at: 20)
        #expect(try store.verifications(job: "db").map(\.destination) == [nil, "b", "a"])
        let atA = try store.lastVerifications(job: "db", destination: "a")
        let atB = try store.lastVerifications(job: "db", destination: "b")
        #expect(atA["db-1"]?.passed == true && atA["db-1"]?.destination == "a" && atA["db-0"]?.passed == true)
        #expect(atB["db-1"]?.passed == false && atB["db-0"] != nil)
        #expect(try store.lastVerifications(job: "db")["db-1"]?.destination == "b")
    }

    /// `afterBackup` re-reads the backup right after the run is recorded and records a passed
    /// verification (trigger after-backup); without it nothing is verified.
    @Test func afterBackupObserver() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let memory = MemoryObjectStore(partSize: 1 << 20)
        for after in [false, true] {
            var config = try shellJob("head -c 100000 /dev/urandom")
            config.jobs[0].verify = VerifySettings(afterBackup: after)
            let clock = FixedClock(time: pipelineStart)
            let runner = BackupRunner(stores: memory, launcher: PosixProcessLauncher(), clock: clock, environment: testEnvironment)
            let verifier = VerifyRunner(stores: memory, launcher: PosixProcessLauncher(), environment: testEnvironment, clock: clock, history: history)
            let recorder = RunRecorder(history: history, executor: runner, clock: clock, observers: [AfterBackupVerifier(runner: verifier)])
            let (_, outcome) = try await recorder.perform(
                ScheduledRun(job: "job1", trigger: .runNow, scheduledFor: pipelineStart), job: config.jobs[0], config: config, logger: Logger(label: "t"))
            #expect(outcome.status == .succeeded)
        }
        let records = try history.verifications(job: "job1")
        #expect(records.count == 1)
        #expect(records.first?.trigger == .afterBackup && records.first?.passed == true)
    }

    /// The scheduled verifier sleeps until the job's verify schedule is due, verifies the latest
    /// backup and records it (trigger verify-schedule); cancelling ends it.
    @Test func scheduledVerifier() async throws {
        let (records, waits) = try await scheduledVerifications(schedule: "*/10 * * * *", count: 1)
        #expect(records.first?.trigger == .schedule && records.first?.passed == true)
        #expect(records.first.map { $0.startedAt >= pipelineStart + 600 } == true)
        #expect(waits.allSatisfy { $0 <= ScheduledVerifier.maxWait })
    }

    /// Occurrences of the verify schedule that pass while a verification runs (here every second,
    /// while opening the store takes ten) are skipped: the next verification starts at the first
    /// occurrence after the previous one ended, not at once.
    @Test func scheduledVerifierSkipsOccurrencesMissedWhileVerifying() async throws {
        let (records, _) = try await scheduledVerifications(schedule: "* * * * * *", count: 3) { memory, clock in
            SlowOpeningStores(memory: memory, clock: clock, seconds: 10)
        }
        let starts = records.map(\.startedAt).sorted()
        #expect(starts.count >= 3)
        for (earlier, later) in zip(starts, starts.dropFirst()) {
            #expect(later.timeIntervalSince(earlier) >= 11, "\(earlier) then \(later)")
        }
    }

    /// Backs up a small command job into memory, then runs the scheduled verifier on `schedule`
    /// (through `stores`, which wrap the memory store) with a manual clock that each wait advances,
    /// until `count` verifications are recorded; returns them (oldest first) and the waits asked for.
    private func scheduledVerifications(
        schedule: String, count: Int,
        stores: (MemoryObjectStore, ManualWallClock) -> any ObjectStoreProvider = { memory, _ in memory }
    ) async throws -> (records: [VerificationRecord], waits: [Duration]) {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let memory = MemoryObjectStore(partSize: 1 << 20)
        var config = try shellJob("head -c 1000 /dev/urandom")
        _ = try await runJob(config, store: memory)
        config.jobs[0].verify = VerifySettings(schedule: try CronExpression(schedule))
        let clock = ManualWallClock(pipelineStart + 1)
        let runner = VerifyRunner(
            stores: stores(memory, clock), launcher: PosixProcessLauncher(), environment: testEnvironment, clock: clock, history: history)
        let waited = Mutex<[Duration]>([])
        let frozen = config
        let service = ScheduledVerifier(runner: runner, config: { frozen }, clock: clock, logger: Logger(label: "t")) { duration in
            waited.withLock { $0.append(duration) }
            clock.advance(by: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
            try await Task.sleep(for: .milliseconds(1))
        }
        let task = Task { try await service.run() }
        for _ in 0..<2000 where try history.verifications(job: "job1").count < count {
            try await Task.sleep(for: .milliseconds(5))
        }
        task.cancel()
        _ = try? await task.value
        // Oldest first: a verification that the cancellation above cut short (recorded as could
        // not run) comes last.
        return (Array(try history.verifications(job: "job1").reversed()), waited.withLock { $0 })
    }
}

/// A store provider whose every opening takes `seconds` on a manual clock.
private struct SlowOpeningStores: ObjectStoreProvider {
    let memory: MemoryObjectStore
    let clock: ManualWallClock
    let seconds: TimeInterval

    func store(for destination: DestinationConfig) throws -> any BackupObjectStore {
        clock.advance(by: seconds)
        return try memory.store(for: destination)
    }
}
