import Foundation
import Testing
import TestThreads

/// The trait that keeps test bodies off the cooperative pool (Tests/TestThreads).
@Suite(.ownThreads)
struct OwnThreadsTests {
    /// A body runs on the test executor's threads, before and after a suspension, and so do the
    /// child tasks it starts; an unstructured task does not.
    @Test func bodiesAndTheirChildrenRunOnOwnThreads() async throws {
        #expect(TestBodyExecutor.isCurrent)
        try await Task.sleep(for: .milliseconds(5))
        #expect(TestBodyExecutor.isCurrent)
        async let child = TestBodyExecutor.isCurrent
        #expect(await child)
        #expect(await Task.detached { TestBodyExecutor.isCurrent }.value == false)
    }

    /// More bodies block at once than the cooperative pool has threads (8 against 2 here), and a
    /// task on the pool still runs: it is what releases them. On the pool this would deadlock;
    /// each wait is bounded so that the failure is a failed expectation, not a hang.
    @Test func blockedBodiesLeaveThePoolFree() async throws {
        let gate = DispatchSemaphore(value: 0)
        let waiters = 8
        let releaser = Task.detached {
            try await Task.sleep(for: .milliseconds(50))
            for _ in 0..<waiters { gate.signal() }
        }
        let released = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<waiters {
                group.addTask { gate.wait(timeout: .now() + 20) == .success }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        try await releaser.value
        #expect(released == waiters)
    }

    /// Every test type of this target and of IntegrationTests carries the trait (a file whose tests
    /// only extend a suite declared elsewhere inherits it); `scripts/dev/add-own-threads.py` adds it.
    @Test func everySuiteRunsOnOwnThreads() throws {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let topLevelType = #/(?m)^(?:(?:public|internal|private|fileprivate|final)\s+)*(?:struct|class|enum|actor)\s/#
        var missing: [String] = []
        for target in ["BackupKitTests", "IntegrationTests"] {
            let root = tests.appendingPathComponent(target)
            let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                if text.contains("@Test"), text.contains(topLevelType), !text.contains(".ownThreads") {
                    missing.append("\(target)/\(file)")
                }
            }
        }
        #expect(missing.isEmpty, "suites without .ownThreads (run scripts/dev/add-own-threads.py): \(missing)")
    }
}
