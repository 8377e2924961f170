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

/// An observer that remembers the runs it saw.
final class SeenRuns: RunObserver {
    let seen = Mutex<[String]>([])
    func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) {
        seen.withLock { $0.append("\(run.job.name) \(outcome.status.rawValue)") }
    }
}

@Suite("Daemon run observers", .ownThreads)
struct DaemonRetentionTests {
    /// The daemon passes its history to the observer factory and its RunRecorder calls the
    /// observers after a run is recorded (the same hook `run-now` uses).
    @Test func daemonRunsObserversAfterRecording() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let seen = SeenRuns()
        let executor = BlockingExecutor()
        let running = try await fixture.start(executor: executor, stores: MemoryObjectStore(), observers: [seen])
        running.daemon.runNow(job: "nightly")
        #expect(await executor.waitForStart())
        #expect(seen.seen.withLock { $0 }.isEmpty)
        executor.release()
        #expect(await eventually { seen.seen.withLock { $0 }.count == 1 })
        try await running.stop()
        #expect(seen.seen.withLock { $0 } == ["nightly succeeded"])
        #expect(try fixture.history().runs().map(\.status) == [.succeeded])
    }
}
