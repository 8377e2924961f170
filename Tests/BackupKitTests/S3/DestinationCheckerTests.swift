import Foundation
import Logging
import SigV4
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A transport for which nothing listens.
final class RefusingTransport: HTTPTransport, @unchecked Sendable {
    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        throw HTTPTransportError.connect(host: "127.0.0.1", detail: "Connection refused")
    }
}

/// What `backupd check` reports when it cannot get going.
@Suite(.ownThreads) struct DestinationCheckerTests {
    /// An unreachable endpoint fails the first step with the cause and skips the rest; the report fails.
    @Test func unreachableEndpointSkipsTheRest() async {
        let report = await DestinationChecker(client: fakeClient(RefusingTransport(), maxAttempts: 2), name: "d", token: "t").run()
        #expect(!report.passed)
        #expect(report.steps.first?.failed == true)
        #expect(report.steps.dropFirst().allSatisfy { $0.outcome == .skipped("needs an earlier step that failed") })
        let text = report.render()
        #expect(text.contains("FAILED  Endpoint"))
        #expect(text.contains("cannot connect to 127.0.0.1 (Connection refused)"))
        #expect(text.hasSuffix("1 of 12 checks failed"))
        #expect(!text.contains("Fake-Secret-Value"))
    }

    /// A server clock 20 minutes ahead fails the endpoint step with the measured skew.
    @Test func clockSkewBeyondFifteenMinutesFails() async {
        let transport = FixedTransport(HTTPResponse(status: 200, headers: ["date": "Thu, 01 Jan 2026 00:20:00 GMT"]))
        let clock = FakeClock()
        let report = await DestinationChecker(client: fakeClient(transport), name: "d", token: "t", now: { clock.next() }).run()
        guard case .failed(let detail) = report.steps.first?.outcome else { Issue.record("\(report.render())"); return }
        #expect(detail.contains("RequestTimeTooSkewed"))
        #expect(detail.contains("clock is -1"))
        #expect(!report.passed)
    }
}
