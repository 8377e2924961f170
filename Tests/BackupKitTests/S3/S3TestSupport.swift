import Foundation
import Logging
import SigV4
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A client over `transport` that never sleeps, with a clock that advances a second per reading.
func fakeClient(_ transport: any HTTPTransport, maxAttempts: Int = 4) -> S3Client {
    let clock = FakeClock()
    return S3Client(
        settings: S3Settings(
            endpoint: URL(string: "http://127.0.0.1:9000")!, region: "default", bucket: "b",
            credentials: SigV4Credentials(accessKeyId: "AKIDTEST", secretAccessKey: "Fake-Secret-Value"),
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: 0.001)),
        transport: transport, logger: Logger(label: "test"), now: { clock.next() }, sleep: { _ in }, jitter: { 0.5 })
}

/// A clock starting at 2026-01-01 that moves one second each time it is read.
final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_767_225_600)
    func next() -> Date {
        lock.withLock {
            current += 1
            return current
        }
    }
}

/// An uploader with 5 MiB parts over `transport`.
func fakeUploader(_ transport: FakeS3Transport, maxParts: Int = 10_000, partsInFlight: Int = 4, maxAttempts: Int = 4) -> MultipartUploader {
    MultipartUploader(
        client: fakeClient(transport, maxAttempts: maxAttempts), plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: maxParts),
        partsInFlight: partsInFlight, logger: Logger(label: "test"))
}

/// An S3 error response.
func errorResponse(_ status: Int, _ code: String, _ message: String = "", extra: String = "", headers: [String: String] = [:]) -> HTTPResponse {
    HTTPResponse(
        status: status, headers: headers,
        body: Array("<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message>\(message)</Message>\(extra)<RequestId>req-1</RequestId></Error>".utf8))
}

/// Runs `body` in a task cancelled after `delay` with `reason` as its `StopReason`, as the daemon's
/// shutdown or a job's timeout cancels a run, and returns what `body` returned or threw.
func cancelling<T: Sendable>(
    after delay: Duration, reason: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let stop = StopReason()
    let task = Task { try await StopReason.$current.withValue(stop) { try await body() } }
    // A dispatch timer cancels, as a signal handler would: a sleep on the cooperative pool wakes
    // only once a thread there is free, seconds late in a full test run on 2 cores.
    DispatchQueue.global().asyncAfter(deadline: .now() + delay.seconds) {
        stop.set(reason)
        task.cancel()
    }
    return try await task.value
}
