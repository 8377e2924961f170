import BackupCore
import BackupKit
import Foundation
import Synchronization
import TestThreads
import Testing

@Suite("BlockingBridge", .ownThreads)
struct BlockingBridgeTests {
    /// A blocking call's value and its error come back to the awaiting task.
    @Test func returnsValuesAndErrors() async throws {
        let bridge = BlockingBridge(name: "test-values")
        #expect(try await bridge.run { 6 * 7 } == 42)
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await bridge.run { () throws -> Int in throw Failure() } }
    }

    /// Cancelling the awaiting task runs the interrupt, and `run` returns only after the blocking
    /// call has ended (nothing outlives the task).
    @Test func cancellationInterruptsAndWaitsForTheCall() async throws {
        let bridge = BlockingBridge(name: "test-cancel")
        let stop = Mutex(false)
        let started = Mutex(false)
        let finished = Mutex(false)
        let task = Task {
            try await bridge.run(interrupt: { stop.withLock { $0 = true } }) {
                started.withLock { $0 = true }
                while !stop.withLock({ $0 }) { usleep(1_000) }
                usleep(50_000)
                finished.withLock { $0 = true }
                return "interrupted"
            }
        }
        // Cancel only once the call runs (a call cancelled before it starts never runs: tested below).
        while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        #expect(try await task.value == "interrupted")
        #expect(finished.withLock { $0 })
    }

    /// A call whose task is cancelled before a thread picks it up never runs its body.
    @Test func cancelledBeforeStartNeverRuns() async throws {
        let bridge = BlockingBridge(name: "test-early")
        let ran = Mutex(false)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await bridge.run { ran.withLock { $0 = true } }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(!ran.withLock { $0 })
    }

    /// Sequential calls reuse one thread, and concurrent calls get a thread each (a call never
    /// waits behind another blocking call).
    @Test func threadsAreReusedAndCallsNeverQueueBehindEachOther() async throws {
        let bridge = BlockingBridge(name: "test-reuse")
        for _ in 0..<200 { _ = try await bridge.run { 1 } }
        #expect(bridge.threadsCreated <= 2)
        final class Started: Sendable { let count = Mutex(0) }
        let started = Started()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await bridge.run {
                        started.count.withLock { $0 += 1 }
                        // Each call waits for all six to be running at once: with fewer threads this never ends.
                        let deadline = Date(timeIntervalSinceNow: 10)
                        while started.count.withLock({ $0 }) < 6, Date() < deadline { usleep(1_000) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(started.count.withLock { $0 } == 6)
        #expect(bridge.threadsCreated <= 8)
    }
}
