import Foundation
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Paginated listings are evidence only when they end by themselves: tokens advance, keys
/// increase, the page count stays sane, and cancellation stops them between pages.
@Suite(.ownThreads) struct S3PaginationTests {
    /// Expects `body` to throw `brokenListing` whose detail contains `phrase`; returns the page it names.
    @discardableResult
    func expectBroken(_ phrase: String, _ body: () async throws -> Void) async throws -> Int {
        let error = try await #require(throws: S3Error.self) { try await body() }
        guard case .brokenListing(_, _, _, let page, let detail) = error else {
            Issue.record("got \(error)")
            return 0
        }
        #expect(detail.contains(phrase), "\(detail)")
        #expect(error.description.contains("nothing is deleted"), "\(error)")
        return page
    }

    /// A continuation token that comes back again ends the listing with an error on the second
    /// use, instead of looping for ever (the reported 19 pages a second).
    @Test func repeatedTokenEndsTheListing() async throws {
        let transport = RecordingS3Transport { request, _, call in
            HTTPResponse(status: 200, body: Array(listPage(["p/k\(call)"], truncated: true, token: "same").utf8))
        }
        let page = try await expectBroken("repeats a token") { _ = try await fakeClient(transport).listObjects(prefix: "p/") }
        #expect(page == 2)
        #expect(transport.urls.count == 2)
    }

    /// IsTruncated=true without a token, or with an empty one, is refused.
    @Test(arguments: [nil, ""] as [String?])
    func truncatedWithoutTokenIsRefused(token: String?) async throws {
        let transport = RecordingS3Transport(always: listPage(["p/a"], truncated: true, token: token))
        try await expectBroken("missing or empty") { _ = try await fakeClient(transport).listObjects(prefix: "p/") }
    }

    /// A key listed twice (a duplicated <Contents>) or out of order, within a page or across
    /// pages, is refused.
    @Test(arguments: [
        (["p/a", "p/a"], [String]?.none, "listed twice"),
        (["p/b", "p/a"], nil, "out of order"),
        (["p/a", "p/b"], ["p/b", "p/c"], "listed twice"),
        (["p/a", "p/c"], ["p/b"], "out of order"),
    ])
    func keysMustIncrease(first: [String], second: [String]?, phrase: String) async throws {
        let transport = RecordingS3Transport { _, _, call in
            let page = call == 1 ? listPage(first, truncated: second != nil, token: "t1") : listPage(second ?? [], truncated: false)
            return HTTPResponse(status: 200, body: Array(page.utf8))
        }
        try await expectBroken(phrase) { _ = try await fakeClient(transport).listObjects(prefix: "p/") }
    }

    /// Keys are ordered by UTF-8 bytes, as S3 orders them (not by Swift's String order).
    @Test func keysCompareByUTF8Bytes() async throws {
        let transport = RecordingS3Transport(always: listPage(["p/Z", "p/a", "p/\u{E9}", "p/\u{1F600}"], truncated: false))
        await #expect(try await fakeClient(transport).listObjects(prefix: "p/").count == 4)
    }

    /// The page caps, from the limits documented on `S3Pagination.Limits`.
    @Test func pageCapsFollowFromTheLimits() {
        #expect(S3Pagination.Limits.objects.maxPages == 10_000)
        #expect(S3Pagination.Limits.parts.maxPages == 100)
        #expect(S3Pagination.Limits.uploads.maxPages == 1_000)
    }

    /// A listing with ever-new tokens and increasing keys still ends, at the page cap.
    @Test func pageCapEndsAnEndlessListing() throws {
        var pages = S3Pagination(
            operation: "ListObjectsV2", bucket: "b", scope: "p/", limits: .init(maxItems: 50, pageSize: 100))
        #expect(pages.limits.maxPages == 5)
        let error = try #require(throws: S3Error.self) {
            for n in 0..<100 {
                try pages.nextPage()
                try pages.item(key: String(format: "p/%05d", n))
                _ = try pages.continuation(truncated: true, token: "t\(n)", name: "NextContinuationToken")
            }
        }
        guard case .brokenListing(_, _, _, 6, let detail) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(detail.contains("more than 5 pages"))
    }

    /// Cancellation is checked before every page: a listing cancelled while it runs sends no
    /// further request.
    @Test func cancellationStopsTheListingBetweenPages() async throws {
        let listing = Mutex<StoppableTask<[StoredObject], any Error>?>(nil)
        let transport = RecordingS3Transport { _, _, call in
            if call == 3 { listing.withLock { $0 }?.stop("backupd is stopping") }
            return HTTPResponse(status: 200, body: Array(listPage(["p/k\(call)"], truncated: true, token: "t\(call)").utf8))
        }
        let client = fakeClient(transport)
        let error = try await #require(throws: S3Error.self) {
            try await listing.withLock { listing in
                let task = StoppableTask { try await client.listObjects(prefix: "p/") }
                listing = task
                return task
            }.value
        }
        guard case .cancelled("backupd is stopping") = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(transport.urls.count == 3)
    }

    /// ListParts refuses a repeated marker and part numbers that do not increase.
    @Test func listPartsIsChecked() async throws {
        let looping = RecordingS3Transport(always: "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>1</NextPartNumberMarker><Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>5</Size></Part></ListPartsResult>")
        try await expectBroken("listed twice") { _ = try await fakeClient(looping).listParts(key: "k", uploadID: "u") }
        let marker = RecordingS3Transport { _, _, call in
            HTTPResponse(status: 200, body: Array("<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>7</NextPartNumberMarker><Part><PartNumber>\(call)</PartNumber><ETag>e</ETag><Size>5</Size></Part></ListPartsResult>".utf8))
        }
        try await expectBroken("repeats a token") { _ = try await fakeClient(marker).listParts(key: "k", uploadID: "u") }
        let parts = RecordingS3Transport(always: "<ListPartsResult><IsTruncated>false</IsTruncated><Part><PartNumber>2</PartNumber><ETag>e</ETag><Size>5</Size></Part><Part><PartNumber>10</PartNumber><ETag>f</ETag><Size>3</Size></Part></ListPartsResult>")
        await #expect(try await fakeClient(parts).listParts(key: "k", uploadID: "u").map(\.number) == [2, 10])
    }

    /// ListMultipartUploads refuses an upload listed twice and repeated markers.
    @Test func listUploadsIsChecked() async throws {
        let upload = "<Upload><Key>p/a</Key><UploadId>1</UploadId></Upload>"
        let twice = RecordingS3Transport(always: "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\(upload)\(upload)</ListMultipartUploadsResult>")
        try await expectBroken("listed twice") { _ = try await fakeClient(twice).listMultipartUploads(prefix: "p/") }
        let looping = RecordingS3Transport { _, _, call in
            HTTPResponse(status: 200, body: Array("<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>p/a</NextKeyMarker><NextUploadIdMarker>1</NextUploadIdMarker><Upload><Key>p/a\(call)</Key><UploadId>\(call)</UploadId></Upload></ListMultipartUploadsResult>".utf8))
        }
        try await expectBroken("repeats a token") { _ = try await fakeClient(looping).listMultipartUploads(prefix: "p/") }
    }

    /// Keys are de-duplicated before DeleteObjects: no request carries a key twice or more than
    /// 1,000 keys, and every key is sent once.
    @Test func deleteObjectsSendsEachKeyOnceInBatchesOfAtMost1000() async throws {
        let transport = RecordingS3Transport { _, body, _ in
            let keys = body.components(separatedBy: "<Key>").dropFirst().map { $0.components(separatedBy: "</Key>")[0] }
            return HTTPResponse(status: 200, body: Array(("<DeleteResult>" + keys.map { "<Deleted><Key>\($0)</Key></Deleted>" }.joined() + "</DeleteResult>").utf8))
        }
        let keys = (0..<1500).map { "p/k\($0 % 1200)" } + Array(repeating: "p/k7", count: 1950)
        try await fakeClient(transport).deleteObjects(keys: keys)
        let batches = transport.deletedKeyBatches
        #expect(batches.map(\.count) == [1000, 200])
        #expect(batches.allSatisfy { Set($0).count == $0.count })
        #expect(Set(batches.flatMap { $0 }) == Set(keys))
        await #expect(try await fakeClient(transport).deleteObjectBatch(keys: Array(repeating: "p/x", count: 1950)).isEmpty)
        #expect(transport.deletedKeyBatches.last == ["p/x"])
    }

    /// The DeleteResult must account for every key sent (Deleted or Error) and name no other;
    /// refusals are returned per key.
    @Test func deleteResultMustAccountForTheKeys() async throws {
        let partial = RecordingS3Transport(always: "<DeleteResult><Deleted><Key>p/a</Key></Deleted></DeleteResult>")
        let error = try await #require(throws: S3Error.self) { try await fakeClient(partial, maxAttempts: 2).deleteObjectBatch(keys: ["p/a", "p/b"]) }
        guard case .malformedResponse("DeleteObjects", "b", let detail) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(detail.contains("1 of 2 keys are neither"), "\(detail)")
        let stranger = RecordingS3Transport(always: "<DeleteResult><Deleted><Key>p/a</Key></Deleted><Deleted><Key>p/z</Key></Deleted></DeleteResult>")
        await #expect(throws: S3Error.self) { try await fakeClient(stranger, maxAttempts: 1).deleteObjectBatch(keys: ["p/a"]) }
        let refused = RecordingS3Transport(always: "<DeleteResult><Deleted><Key>p/a</Key></Deleted><Error><Key>p/b</Key><Code>AccessDenied</Code><Message>locked</Message></Error></DeleteResult>")
        await #expect(try await fakeClient(refused).deleteObjectBatch(keys: ["p/a", "p/b"]) == [DeletionRefusal(key: "p/b", code: "AccessDenied", message: "locked")])
        #expect(refused.bodies[0].contains("<Quiet>false</Quiet>"))
    }
}
