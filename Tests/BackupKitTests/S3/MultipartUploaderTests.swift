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

/// The uploader over an in-memory bucket: retries, aborts, memory bound, part sizes, metadata.
@Suite(.ownThreads) struct MultipartUploaderTests {
    /// A stream is stored byte for byte with the metadata known at the start; its part digests
    /// (and the digest over them), size, ETag, part size and count come back in the receipt, and
    /// no copy request is ever sent.
    @Test func uploadsAndRecordsSHA256() async throws {
        let fake = FakeS3Transport()
        var started: [String] = []
        let receipt = try await fakeUploader(fake).upload(
            key: "k", from: CountingSource(length: 12 << 20), metadata: ["job": "db"],
            uploadStarted: { started.append($0) })
        let expected = ExpectedDigest.byParts(fake.object ?? [], sizes: [5 << 20, 5 << 20, 2 << 20])
        #expect(started == ["up-1"])
        #expect(receipt.size == 12 << 20)
        #expect(receipt.partCount == 3)
        #expect(receipt.partSize == 5 << 20)
        #expect(receipt.sha256 == expected && expected.hasSuffix("-3"))
        #expect(receipt.parts.map(\.size) == [5 << 20, 5 << 20, 2 << 20])
        let object = fake.object ?? []
        #expect(receipt.parts.first?.sha256 == SHA256.hex(SHA256.hash(object[0..<(5 << 20)])))
        #expect(!receipt.etag.isEmpty)
        #expect(fake.metadata == ["job": "db"])
        #expect(fake.calls.allSatisfy { $0.operation != "CopyObject" && $0.operation != "UploadPartCopy" && $0.header("x-amz-copy-source") == nil })
        #expect(fake.partSizes == [5 << 20, 5 << 20, 2 << 20])
        #expect(fake.aborted == 0)
    }

    /// Each part is sent with its own SHA-256 as x-amz-content-sha256.
    @Test func partsCarryTheirSHA256() async throws {
        let fake = FakeS3Transport()
        _ = try await fakeUploader(fake, partsInFlight: 1).upload(
            key: "k", from: CountingSource(length: 6 << 20), metadata: [:], uploadStarted: { _ in })
        let object = try #require(fake.object)
        let sent = fake.calls.filter { $0.operation == "UploadPart" }.map { $0.header("x-amz-content-sha256") }
        let first = object[0..<(5 << 20)]
        let second = object[(5 << 20)...]
        #expect(sent == [SHA256.hex(SHA256.hash(first)), SHA256.hex(SHA256.hash(second))])
    }

    /// A 503 and a dropped connection on a part are retried, re-signed with a new date each try.
    @Test func transientFailuresAreRetriedAndResigned() async throws {
        let fake = FakeS3Transport()
        fake.fault = { call, attempt in
            guard call.operation == "UploadPart", call.url.contains("partNumber=2&") else { return nil }
            if attempt == 1 { return errorResponse(503, "SlowDown") }
            if attempt == 2 { throw HTTPTransportError.connectionLost(host: "h", detail: "reset") }
            return nil
        }
        let receipt = try await fakeUploader(fake).upload(
            key: "k", from: CountingSource(length: 11 << 20), metadata: [:], uploadStarted: { _ in })
        #expect(receipt.partCount == 3)
        let tries = fake.calls.filter { $0.url.contains("partNumber=2&") }
        #expect(tries.count == 3)
        #expect(Set(tries.map { $0.header("x-amz-date") ?? "" }).count == 3)
        #expect(Set(tries.map { $0.header("authorization") ?? "" }).count == 3)
        #expect(fake.aborted == 0)
    }

    /// A part that keeps failing aborts the upload after the retries, and Complete is never sent.
    @Test func persistentFailureAborts() async throws {
        let fake = FakeS3Transport()
        fake.fault = { call, _ in call.url.contains("partNumber=3&") ? errorResponse(500, "InternalError") : nil }
        let error = try await #require(throws: S3Error.self) {
            try await fakeUploader(fake, maxAttempts: 3).upload(
                key: "k", from: CountingSource(length: 40 << 20), metadata: [:], uploadStarted: { _ in })
        }
        #expect(error.description.contains("InternalError"))
        #expect(fake.calls.filter { $0.url.contains("partNumber=3&") }.count == 3)
        #expect(fake.aborted == 1)
        #expect(fake.count("CompleteMultipartUpload") == 0)
        #expect(fake.object == nil)
    }

    /// A 4xx that cannot succeed (AccessDenied) is not retried; the upload is aborted.
    @Test func accessDeniedIsNotRetried() async throws {
        let fake = FakeS3Transport()
        fake.fault = { call, _ in call.operation == "UploadPart" ? errorResponse(403, "AccessDenied", "Access Denied") : nil }
        let error = try await #require(throws: S3Error.self) {
            try await fakeUploader(fake, partsInFlight: 1).upload(
                key: "k", from: CountingSource(length: 6 << 20), metadata: [:], uploadStarted: { _ in })
        }
        #expect(fake.count("UploadPart") == 1)
        #expect(fake.aborted == 1)
        #expect(error.description.contains("access denied for UploadPart on b/k"))
    }

    /// A producer that fails after three parts aborts the upload and its error is what the caller sees.
    @Test func producerFailureAborts() async throws {
        let fake = FakeS3Transport()
        await #expect(throws: CountingSource.Failed.self) {
            try await fakeUploader(fake).upload(
                key: "k", from: CountingSource(length: 50 << 20, failAfter: 15 << 20), metadata: [:],
                uploadStarted: { _ in })
        }
        #expect(fake.aborted == 1)
        #expect(fake.count("CompleteMultipartUpload") == 0)
    }

    /// Cancelling the uploading task mid-stream aborts the upload; the error carries the task's stop reason.
    @Test func cancellationAborts() async throws {
        let fake = FakeS3Transport()
        let stop = StopReason()
        let handle = TaskHandle()
        fake.onPart = { stored in
            if stored == 2 {
                stop.set("shutdown grace period over")
                handle.cancel()
            }
        }
        let uploader = fakeUploader(fake, partsInFlight: 1)
        handle.set(Task {
            try await StopReason.$current.withValue(stop) {
                _ = try await uploader.upload(key: "k", from: CountingSource(length: 100 << 20), metadata: [:], uploadStarted: { _ in })
            }
        })
        let error = await #expect(throws: S3Error.self) { try await handle.value() }
        guard case .cancelled(let reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reason.contains("grace"))
        #expect(fake.aborted == 1)
        #expect(fake.count("UploadPart") < 20)
    }

    /// Memory stays within (parts in flight + 1) part buffers, at most `partsInFlight` parts are sent at
    /// once, and the reader is held back (it never runs more than that many buffers ahead of the bucket).
    @Test(arguments: [1, 2, 4])
    func buffersAreBoundedWithBackpressure(partsInFlight: Int) async throws {
        let fake = FakeS3Transport()
        fake.partDelay = 0.05
        let source = CountingSource(length: 60 << 20)
        let partSize = 5 << 20
        let ahead = NSLock()
        nonisolated(unsafe) var worstLead = 0
        fake.onPart = { stored in
            let lead = source.produced - stored * partSize
            ahead.withLock { worstLead = max(worstLead, lead) }
        }
        let (_, peak) = try await fakeUploader(fake, partsInFlight: partsInFlight).uploadMeasured(
            key: "k", from: source, metadata: [:], uploadStarted: { _ in })
        #expect(peak <= (partsInFlight + 1) * partSize)
        #expect(fake.maxInFlight <= partsInFlight)
        #expect(worstLead <= (partsInFlight + 1) * partSize)
        if partsInFlight > 1 { #expect(fake.maxInFlight > 1) }
    }

    /// Parts grow so a long stream fits the destination's part limit; one byte more fails cleanly and aborts.
    @Test func partSizeGrowsWithinMaxParts() async throws {
        let fake = FakeS3Transport()
        // maxParts 10: one part per tier, sizes 5, 10, 20, 40 MiB ...
        let receipt = try await fakeUploader(fake, maxParts: 10, partsInFlight: 2).upload(
            key: "k", from: CountingSource(length: 60 << 20), metadata: [:], uploadStarted: { _ in })
        #expect(fake.partSizes == [5 << 20, 10 << 20, 20 << 20, 25 << 20])
        #expect(receipt.partCount == 4)

        let small = FakeS3Transport()
        let error = try await #require(throws: S3Error.self) {
            try await fakeUploader(small, maxParts: 2).upload(
                key: "k", from: CountingSource(length: (15 << 20) + 1), metadata: [:], uploadStarted: { _ in })
        }
        guard case .objectTooLarge(_, let maxParts, _) = error else { Issue.record("got \(error)"); return }
        #expect(maxParts == 2)
        #expect(small.aborted == 1)
    }

    /// Parts hashed two at a time (4 in flight) keep every part's own digest, whatever the shape:
    /// streams ending inside the first part, at the end of a part or of a pair, in the middle of a
    /// pair, empty, and pairs of two sizes (a growing plan: 1000, 1000, 1000, 2000, ... bytes).
    @Test(arguments: [0, 1, 999, 1000, 1001, 2000, 2001, 2999, 3000, 4000, 4001, 9999, 20_000])
    func pairedPartsKeepTheirOwnDigests(length: Int) async throws {
        let fake = FakeS3Transport()
        let plan = PartSizePlan(firstPartSize: 1000, maxParts: 30)
        let uploader = MultipartUploader(client: fakeClient(fake), plan: plan, partsInFlight: 4, logger: Logger(label: "t"))
        let receipt = try await uploader.upload(key: "k", from: CountingSource(length: length), metadata: [:], uploadStarted: { _ in })
        let object = try #require(fake.object)
        #expect(object.count == length)
        var expectedSizes: [Int64] = []
        var left = length
        repeat {
            let size = min(plan.size(ofPart: expectedSizes.count + 1)!, left)
            expectedSizes.append(Int64(size))
            left -= size
        } while left > 0
        #expect(receipt.parts.map(\.size) == expectedSizes)
        var start = 0
        var digests: [String] = []
        for size in expectedSizes {
            digests.append(SHA256.hex(SHA256.hash(object[start..<(start + Int(size))])))
            start += Int(size)
        }
        #expect(receipt.parts.map(\.sha256) == digests)
        let signed = fake.calls.filter { $0.operation == "UploadPart" }.map { $0.header("x-amz-content-sha256") ?? "" }
        #expect(signed.sorted() == digests.sorted())
        #expect(receipt.sha256 == ExpectedDigest.byParts(object, sizes: expectedSizes))
    }

    /// An empty stream is stored as an empty object: one empty part, with the empty digest.
    @Test func emptyStream() async throws {
        let fake = FakeS3Transport()
        let receipt = try await fakeUploader(fake).upload(
            key: "k", from: CountingSource(length: 0), metadata: [:], uploadStarted: { _ in })
        #expect(receipt.size == 0)
        #expect(receipt.parts == [PartDigest(size: 0, sha256: SHA256.emptyHex)])
        #expect(receipt.sha256 == ExpectedDigest.byParts([UInt8](), sizes: [0]))
        #expect(fake.object == [])
    }

    /// A 200 to Complete that carries an <Error> is a failure (the upload is aborted), not a success.
    @Test func completeWithErrorIn200Fails() async throws {
        let fake = FakeS3Transport()
        fake.fault = { call, _ in
            call.operation == "CompleteMultipartUpload"
                ? HTTPResponse(status: 200, body: Array("<?xml version=\"1.0\"?>\n<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message><RequestId>r</RequestId></Error>".utf8))
                : nil
        }
        let error = try await #require(throws: S3Error.self) {
            try await fakeUploader(fake).upload(
                key: "k", from: CountingSource(length: 6 << 20), metadata: [:], uploadStarted: { _ in })
        }
        #expect(error.description.contains("InvalidPart"))
        #expect(fake.aborted == 1)
        #expect(fake.count("CompleteMultipartUpload") == 1)
    }

    /// A 200 with InternalError in the body is retried, then succeeds.
    @Test func completeInternalErrorIn200IsRetried() async throws {
        let fake = FakeS3Transport()
        fake.fault = { call, attempt in
            call.operation == "CompleteMultipartUpload" && attempt == 1
                ? HTTPResponse(status: 200, body: Array("<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>".utf8))
                : nil
        }
        let receipt = try await fakeUploader(fake).upload(
            key: "k", from: CountingSource(length: 6 << 20), metadata: [:], uploadStarted: { _ in })
        #expect(receipt.partCount == 2)
        #expect(fake.count("CompleteMultipartUpload") == 2)
    }

    /// A bucket whose policy refuses copies does not matter: the uploader never asks for one, and
    /// the upload completes with nothing deleted.
    @Test func bucketRefusingCopiesStillStores() async throws {
        let fake = FakeS3Transport()
        fake.fault = { call, _ in call.header("x-amz-copy-source") != nil ? errorResponse(403, "AccessDenied", "Access Denied") : nil }
        let receipt = try await fakeUploader(fake).upload(
            key: "k", from: CountingSource(length: 6 << 20), metadata: [:], uploadStarted: { _ in })
        #expect(receipt.size == 6 << 20)
        #expect(fake.count("DeleteObjects") == 0)
        #expect(fake.object?.count == 6 << 20)
    }

    /// A HEAD after the upload that does not show every metadata entry fails the upload, names the
    /// entry, and removes the object.
    @Test func headMissingMetadataFailsAndRemovesTheObject() async throws {
        let fake = FakeS3Transport()
        fake.fault = { call, _ in
            guard call.operation == "HeadObject" else { return nil }
            return HTTPResponse(status: 200, headers: ["content-length": "\(6 << 20)", "x-amz-meta-sha256": "ignored"])
        }
        let error = try await #require(throws: S3Error.self) {
            try await fakeUploader(fake).upload(
                key: "k", from: CountingSource(length: 6 << 20), metadata: ["engine": "postgres"],
                uploadStarted: { _ in })
        }
        #expect(error.description.contains("k has engine none, expected postgres"), "\(error)")
        #expect(fake.count("DeleteObjects") == 1)
        #expect(fake.object == nil)
    }
}

/// A task another thread may cancel (a transport callback, as a shutdown would).
final class TaskHandle: Sendable {
    private let task = Mutex<Task<Void, any Error>?>(nil)

    func set(_ task: Task<Void, any Error>) { self.task.withLock { $0 = task } }
    func cancel() { task.withLock { $0?.cancel() } }
    func value() async throws { try await task.withLock { $0 }!.value }
}
