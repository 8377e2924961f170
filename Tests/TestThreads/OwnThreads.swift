import Testing

/// Runs a test (or every test of a suite) on `TestBodyExecutor`, off Swift's cooperative pool.
public struct OwnThreadsTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(TestBodyExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OwnThreadsTrait {
    /// The test's body, and the tasks it starts in structure, run on threads of their own, so that
    /// a body blocking on a process or a socket never holds one of the cooperative pool's threads.
    public static var ownThreads: Self { OwnThreadsTrait() }
}
