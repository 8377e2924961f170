import BackupTestSupport
import Foundation
import Logging
import SigV4
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The retry budget, cancellation of requests in flight, and the headers never sent.
@Suite(.ownThreads) struct RetryBudgetTests {
    /// Backoff doubles from the base, is capped at 30 s, and stays within half to all of its ceiling.
    @Test func backoffIsCappedWithJitter() {
        let policy = RetryPolicy()
        #expect(policy.delay(retry: 1, jitter: 0) == 0.125)
        #expect(policy.delay(retry: 3, jitter: 1) == 1)
        #expect(policy.delay(retry: 20, jitter: 1) == 30)
        #expect(policy.delay(retry: 20, jitter: 0) == 15)
        #expect(policy.budget == 300)
    }

    /// Retries go on while the budget lasts, not for a fixed count: refused for a simulated
    /// 200 s, the request still succeeds under the default 5-minute budget; a 60 s budget gives up.
    @Test func budgetNotCountDecides() async throws {
        for (budget, succeeds) in [(300.0, true), (60.0, false)] {
            let clock = ManualWallClock(Date(timeIntervalSince1970: 1_767_225_600))
            let start = clock.now()
            let transport = BudgetScriptedTransport { _ in
                if clock.now().timeIntervalSince(start) < 200 { throw HTTPTransportError.connect(host: "h", detail: "refused") }
                return HTTPResponse(status: 200, body: Array("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>".utf8))
            }
            let client = S3Client(
                settings: S3Settings(
                    endpoint: URL(string: "http://127.0.0.1:9000")!, region: "r", bucket: "b",
                    credentials: SigV4Credentials(accessKeyId: "AKID", secretAccessKey: "s"), retry: RetryPolicy(budget: budget)),
                transport: transport, logger: Logger(label: "t"), now: { clock.now() }, sleep: { clock.advance(by: $0) },
                jitter: { 1 })
            if succeeds {
                await #expect(try await client.listObjects(prefix: "").isEmpty)
                #expect(transport.calls > 6, "more tries than the old fixed six")
            } else {
                await #expect(throws: S3Error.self) { try await client.listObjects(prefix: "") }
                #expect(clock.now().timeIntervalSince(start) <= 60)
            }
        }
    }

    /// A request stalled in the transport ends within about a second of the task's cancellation,
    /// with the task's stop reason, and the backoff wait ends at once: a stopped run never waits out the stall limit or a 30 s backoff.
    @Test func cancellationEndsStalledRequestAndBackoff() async throws {
        let stalled = BudgetScriptedTransport(honoursAbandon: true) { _ in throw HTTPTransportError.connectionLost(host: "h", detail: "stalled") }
        let client = S3Client(
            settings: S3Settings(
                endpoint: URL(string: "http://127.0.0.1:9000")!, region: "r", bucket: "b",
                credentials: SigV4Credentials(accessKeyId: "AKID", secretAccessKey: "s")),
            transport: stalled, logger: Logger(label: "t"))
        let started = Date()
        let error = await #expect(throws: S3Error.self) {
            _ = try await cancelling(after: .milliseconds(500), reason: "job timed out") {
                try await client.perform("UploadPart", method: "PUT", key: "k")
            }
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("job timed out"))
        // Well under the 30 s backoff it would otherwise wait (a bound with room for a loaded machine,
        // where the cancelling timer itself fires late: 5 s seen with the whole suite on 2 cores).
        #expect(Date().timeIntervalSince(started) < 10)

        let refused = BudgetScriptedTransport { _ in throw HTTPTransportError.connect(host: "h", detail: "refused") }
        let waiting = S3Client(
            settings: S3Settings(
                endpoint: URL(string: "http://127.0.0.1:9000")!, region: "r", bucket: "b",
                credentials: SigV4Credentials(accessKeyId: "AKID", secretAccessKey: "s"), retry: RetryPolicy(baseDelay: 30)),
            transport: refused, logger: Logger(label: "t"))
        let again = Date()
        let stopped = await #expect(throws: S3Error.self) {
            _ = try await cancelling(after: .milliseconds(500), reason: "SIGTERM") {
                try await waiting.perform("UploadPart", method: "PUT", key: "k")
            }
        }
        #expect("\(stopped.map { "\($0)" } ?? "")".contains("SIGTERM"))
        #expect(Date().timeIntervalSince(again) < 2)
    }

    /// No request of an upload, a download or a delete carries a flexible-checksum header, even
    /// when a caller passes one.
    @Test func checksumHeadersAreNeverSent() async throws {
        let fake = FakeS3Transport()
        let uploader = fakeUploader(fake, partsInFlight: 2)
        _ = try await uploader.uploadStream(
            key: "k", from: CountingSource(length: 11 << 20), metadata: ["job": "db"], expectedSize: nil, uploadStarted: { _ in })
        _ = try await uploader.client.perform(
            "HeadObject", method: "HEAD", key: "k", headers: [(name: "x-amz-checksum-crc32", value: "AAAAAA=="), (name: "X-Amz-Sdk-Checksum-Algorithm", value: "CRC32")], accept: [404])
        #expect(fake.calls.count > 6)
        for call in fake.calls {
            #expect(!call.headers.contains { S3Client.isChecksumHeader($0.name) }, "\(call.method) \(call.url)")
            let signed = call.header("authorization") ?? ""
            #expect(!signed.contains("checksum"))
        }
    }
}

/// A transport answering from a closure; `honoursAbandon` makes it block until abandoned, like a
/// stalled libcurl transfer whose progress callback sees the cancellation.
final class BudgetScriptedTransport: HTTPTransport, @unchecked Sendable {
    private let answer: @Sendable (HTTPRequest) throws -> HTTPResponse
    private let honoursAbandon: Bool
    private let count = Mutex(0)
    var calls: Int { count.withLock { $0 } }

    init(honoursAbandon: Bool = false, _ answer: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) {
        self.answer = answer
        self.honoursAbandon = honoursAbandon
    }

    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        count.withLock { $0 += 1 }
        return try answer(request)
    }

    func send(
        _ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?,
        abandon: @escaping @Sendable () -> Bool
    ) throws -> HTTPResponse {
        guard honoursAbandon else { return try send(request, body: body, sink: sink) }
        count.withLock { $0 += 1 }
        while !abandon() { Thread.sleep(forTimeInterval: 0.05) }
        throw HTTPTransportError.abandoned(host: "h")
    }
}
