import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The precedence of the sizes that fix equal parts.
@Suite("Expected size", .ownThreads)
struct ExpectedSizeTests {
    /// A closure that counts its calls and answers `value`.
    final class Answer: @unchecked Sendable {
        let value: Int64?
        var calls = 0
        init(_ value: Int64?) { self.value = value }
        func callAsFunction() -> Int64? {
            calls += 1
            return value
        }
    }

    /// explicit > history > engine estimate; the first positive answer wins and the later
    /// sources are never asked (the estimate is a query to the server).
    @Test(arguments: [
        (Int64?(100), Int64?(200), Int64?(300), ExpectedSize(bytes: 100, source: .explicit), 0, 0),
        (nil, 200, 300, ExpectedSize(bytes: 200, source: .history), 1, 0),
        (nil, 200, 9_000, ExpectedSize(bytes: 200, source: .history), 1, 0),
        (nil, nil, 300, ExpectedSize(bytes: 300, source: .engine), 1, 1),
        (0, 0, 300, ExpectedSize(bytes: 300, source: .engine), 1, 1),
        (nil, nil, nil, nil, 1, 1),
        (nil, nil, -5, nil, 1, 1),
    ] as [(Int64?, Int64?, Int64?, ExpectedSize?, Int, Int)])
    func precedence(explicit: Int64?, history: Int64?, estimate: Int64?, expected: ExpectedSize?, historyCalls: Int, estimateCalls: Int) {
        let recent = Answer(history)
        let engine = Answer(estimate)
        #expect(ExpectedSize.resolve(explicit: explicit, history: { recent() }, estimate: { engine() }) == expected)
        #expect(recent.calls == historyCalls)
        #expect(engine.calls == estimateCalls)
    }

    /// The estimate is parsed from the tools' output: a number line, SQL's NULL or an error reply is none.
    @Test func outputsAreParsed() {
        #expect(EngineContext.firstNumber("\n 123456\n") == 123_456)
        #expect(EngineContext.firstNumber("NULL\n") == nil)
        #expect(EngineContext.firstNumber("") == nil)
        #expect(RedisDriver.datasetBytes("# Memory\r\nused_memory:900\r\nused_memory_dataset:4567\r\n") == 4567)
        #expect(RedisDriver.datasetBytes("NOAUTH Authentication required.\n") == nil)
    }
}
