import Foundation
import Glibc
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The blocking waits moved onto `BlockingBridge` stop when asked: a clock watcher by Task
/// cancellation, the children of a tracked launcher by `stopAll`.
@Suite("Bridged waits stop", .ownThreads)
struct BridgedWaitTests {
    /// A task awaiting `ClockChangeWatcher.nextChange()` (blocked in poll on a bridge thread) ends
    /// with CancellationError within seconds of being cancelled (not at the next clock change).
    @Test func clockWatcherEndsOnCancellation() async throws {
        let watcher = try #require(ClockChangeWatcher(logger: Logger(label: "test")))
        let waiting = Task { try await watcher.nextChange() }
        try await Task.sleep(for: .milliseconds(200))
        let cancelled = ContinuousClock.now
        waiting.cancel()
        let result = await waiting.result
        #expect(ContinuousClock.now - cancelled < .seconds(5))
        #expect(throws: CancellationError.self) { try result.get() }
    }

    /// `stopAll` kills a running child's whole process group (its output ends, it dies of SIGKILL),
    /// and a child started after the stop is killed at once.
    @Test func trackingLauncherKillsEveryChild() throws {
        let launcher = TrackingProcessLauncher(PosixProcessLauncher())
        let environment = ["PATH": "/usr/bin:/bin"]
        let running = try launcher.launch(ProcessSpec(argv: ["/bin/sh", "-c", "sleep 60 & echo started; wait"], environment: environment))
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withUnsafeMutableBytes { try running.readOutput(into: $0) } > 0)
        let stopped = ContinuousClock.now
        launcher.stopAll()
        #expect(running.wait() == .signaled(SIGKILL))
        #expect(ContinuousClock.now - stopped < .seconds(5))
        let late = try launcher.launch(ProcessSpec(argv: ["/bin/sleep", "60"], environment: environment))
        #expect(late.wait() == .signaled(SIGKILL))
    }
}
