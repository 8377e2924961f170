import Foundation
import Logging
import Synchronization
import Testing
@testable import BackupKit

/// An observer that remembers the runs it saw.
final class SeenRuns: RunObserver {
    let seen = Mutex<[String]>([])
    func runFinished(runID: Int64, outcome: RunOutcome, job: JobConfig, config: BackupConfig, logger: Logger) {
        seen.withLock { $0.append("\(job.name) \(outcome.status.rawValue)") }
    }
}

@Suite("Daemon run observers")
struct DaemonRetentionTests {
    /// The daemon passes its history to the observer factory and its RunRecorder calls the
    /// observers after a run is recorded (the same hook `run-now` uses).
    @Test func daemonRunsObserversAfterRecording() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let (config, _) = try BackupConfig.load(path: fixture.configPath)
        let seen = SeenRuns()
        let executor = BlockingExecutor()
        let dependencies = Daemon.Dependencies(
            clock: SystemWallClock(), notifier: SystemdNotifier(environment: [:]), executor: executor, stores: MemoryObjectStore(),
            sources: .live, runObservers: { _ in [seen] })
        let daemon = try Daemon(configPath: fixture.configPath, config: config, dependencies: dependencies, logger: Logger(label: "test"))
        try daemon.start()
        daemon.runNow(job: "nightly")
        #expect(await executor.waitForStart())
        #expect(seen.seen.withLock { $0 }.isEmpty)
        executor.release()
        await daemon.shutdown()
        #expect(seen.seen.withLock { $0 } == ["nightly succeeded"])
        #expect(try fixture.history().runs().map(\.status) == [.succeeded])
    }
}
