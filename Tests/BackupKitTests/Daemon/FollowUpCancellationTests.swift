import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore

/// The after-backup prune stops as soon as the daemon begins to stop (its graceful shutdown),
/// naming why, while the run's own task goes on (the backup may finish within the grace period).
@Suite(.ownThreads) struct FollowUpCancellationTests {
    /// A service that runs one stalling "prune" through `RetentionObserver.untilStopping`.
    final class PruningService: Service {
        let seen = Mutex<(reason: String?, runCancelled: Bool)?>(nil)
        let started = Mutex(false)

        func run() async throws {
            let reason = await RetentionObserver.untilStopping { () -> String? in
                self.started.withLock { $0 = true }
                try? await Task.sleep(for: .seconds(300))
                return Task.isCancelled ? StopReason.text : nil
            }
            seen.withLock { $0 = (reason, Task.isCancelled) }
        }
    }

    /// Graceful shutdown stops the prune with "backupd is stopping; …" at once; the service's
    /// own task is not cancelled by it.
    @Test func gracefulShutdownStopsThePrune() async throws {
        let service = PruningService()
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "t")))
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for _ in 0..<500 where !service.started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(ContinuousClock.now - started < .seconds(30))
        let seen = try #require(service.seen.withLock { $0 })
        #expect(seen.reason == "backupd is stopping; retention runs again after the next backup")
        #expect(!seen.runCancelled)
    }

    /// Outside a daemon (run-now) nothing but the run's own cancellation stops the prune, which
    /// then reads the run's reason.
    @Test func runCancellationStopsThePruneWithItsReason() async throws {
        let done = await RetentionObserver.untilStopping { "finished" }
        #expect(done == "finished")
        let run = StoppableTask {
            await RetentionObserver.untilStopping { () -> String in
                try? await Task.sleep(for: .seconds(300))
                return StopReason.text
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        run.stop("interrupted by signal 2")
        #expect(await run.value == "interrupted by signal 2")
    }
}
