import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A 200 body the client must refuse, and what the refusal must say.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var body: String
    var phrase: String
    var testDescription: String { name }
}

let goodPage = listPage(["p/a-1.dump", "p/a-1.manifest.json"], truncated: false)

let malformedListings: [MalformedCase] = [
    MalformedCase(
        name: "cut after a data object's </Contents>",
        body: String(goodPage[..<goodPage.range(of: "</Contents>")!.upperBound]), phrase: "not well-formed XML"),
    MalformedCase(name: "garbage", body: "<html>502 bad gateway", phrase: "not well-formed XML"),
    MalformedCase(name: "not XML at all", body: "all good, nothing here", phrase: "not well-formed XML"),
    MalformedCase(name: "empty body", body: "", phrase: "the body is empty"),
    MalformedCase(name: "wrong document", body: "<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>", phrase: "expected <ListBucketResult>"),
    MalformedCase(name: "two documents", body: goodPage + "<ListBucketResult/>", phrase: "not well-formed XML"),
    MalformedCase(name: "no IsTruncated", body: "<ListBucketResult><Contents><Key>p/a</Key><Size>1</Size></Contents></ListBucketResult>", phrase: "has no <IsTruncated>"),
    MalformedCase(name: "IsTruncated not a boolean", body: "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>", phrase: "not true or false"),
    MalformedCase(name: "Contents without Key", body: "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Size>1</Size></Contents></ListBucketResult>", phrase: "<Contents> has no <Key>"),
    MalformedCase(name: "Contents without Size", body: "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/a</Key></Contents></ListBucketResult>", phrase: "<Contents> has no <Size>"),
    MalformedCase(name: "Size not a number", body: "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/a</Key><Size>-3</Size></Contents></ListBucketResult>", phrase: "not a whole number"),
    MalformedCase(name: "KeyCount disagrees", body: "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>2</KeyCount><Contents><Key>p/a</Key><Size>1</Size></Contents></ListBucketResult>", phrase: "<KeyCount> says 2"),
    MalformedCase(name: "key outside the prefix", body: listPage(["q/a"], truncated: false), phrase: "not under the prefix p/"),
]

/// Every S3 response body goes through a real XML parser and is refused, never read as empty or
/// partial, when it is not the whole document the operation returns.
@Suite(.ownThreads) struct S3StrictResponseTests {
    /// A malformed 200 to ListObjectsV2 is retried under the policy, then fails naming the
    /// operation, the bucket and what was wrong; nothing is returned.
    @Test(arguments: malformedListings)
    func malformedListingIsAnError(malformed: MalformedCase) async throws {
        let transport = RecordingS3Transport(always: malformed.body)
        let error = try await #require(throws: S3Error.self) { try await fakeClient(transport, maxAttempts: 3).listObjects(prefix: "p/") }
        guard case .malformedResponse(let operation, let bucket, let detail) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(operation == "ListObjectsV2" && bucket == "b")
        #expect(detail.contains(malformed.phrase), "\(detail)")
        #expect(error.description.contains("ListObjectsV2 on bucket b"), "\(error)")
        #expect(transport.urls.count == 3, "retried like a 5xx")
    }

    /// A well-formed page is read: keys with entities, sizes, times, a default namespace.
    @Test func wellFormedPageIsRead() async throws {
        let objects = try await fakeClient(RecordingS3Transport(always: listPage(["p/a&amp;b", "p/c"], truncated: false))).listObjects(prefix: "p/")
        #expect(objects.map(\.key) == ["p/a&b", "p/c"])
        #expect(objects.map(\.size) == [1, 1])
        #expect(objects[0].lastModified == Date(timeIntervalSince1970: 1_767_323_045))
    }

    /// A malformed page that heals on a retry costs a retry, not the listing.
    @Test func malformedPageHealsOnRetry() async throws {
        let transport = RecordingS3Transport { _, _, call in
            HTTPResponse(status: 200, body: Array((call == 1 ? "<ListBucketResult><IsTrunc" : goodPage).utf8))
        }
        await #expect(try await fakeClient(transport).listObjects(prefix: "p/").count == 2)
        #expect(transport.urls.count == 2)
    }

    /// A 200 whose document is `<Error>` is that S3 error: InternalError is retried, AccessDenied is not.
    @Test func errorDocumentIn200IsThatError() async throws {
        let failing = RecordingS3Transport(always: "<Error><Code>InternalError</Code><Message>boom</Message></Error>")
        let error = try await #require(throws: S3Error.self) { try await fakeClient(failing, maxAttempts: 3).listObjects(prefix: "p/") }
        guard case .service("ListObjectsV2", 200, "InternalError", "boom", _) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(failing.urls.count == 3)
        let denied = RecordingS3Transport(always: "<Error><Code>AccessDenied</Code><Message>no</Message></Error>")
        await #expect(throws: S3Error.self) { try await fakeClient(denied, maxAttempts: 3).deleteObjectBatch(keys: ["p/a"]) }
        #expect(denied.urls.count == 1)
    }

    /// CreateMultipartUpload needs an UploadId in an InitiateMultipartUploadResult; Complete needs a
    /// whole CompleteMultipartUploadResult (its ETag may be empty, as radosgw 16 sends it; a 200
    /// `<Error>` is a failure).
    @Test func multipartAnswersAreChecked() async throws {
        for body in ["", "<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>", "<Other><UploadId>x</UploadId></Other>"] {
            let error = try await #require(throws: S3Error.self) { try await fakeClient(RecordingS3Transport(always: body), maxAttempts: 2).createMultipartUpload(key: "k") }
            guard case .malformedResponse("CreateMultipartUpload", "b", _) = error else {
                Issue.record("got \(error) for \(body)")
                continue
            }
        }
        let initiated = "<InitiateMultipartUploadResult><UploadId>u&amp;1</UploadId></InitiateMultipartUploadResult>"
        await #expect(try await fakeClient(RecordingS3Transport(always: initiated)).createMultipartUpload(key: "k") == "u&1")
        let other = RecordingS3Transport(always: "<InitiateMultipartUploadResult><UploadId>u</UploadId></InitiateMultipartUploadResult>")
        await #expect(throws: S3Error.self) { try await fakeClient(other, maxAttempts: 2).completeMultipartUpload(key: "k", uploadID: "u", parts: [(1, "\"e\"")]) }
        let emptyETag = RecordingS3Transport(always: "<CompleteMultipartUploadResult><Key>k</Key><ETag></ETag></CompleteMultipartUploadResult>")
        await #expect(try await fakeClient(emptyETag).completeMultipartUpload(key: "k", uploadID: "u", parts: [(1, "\"e\"")]) == "")
        let cut = RecordingS3Transport(always: "<CompleteMultipartUploadResult><ETag>\"e\"</ETag>")
        await #expect(throws: S3Error.self) { try await fakeClient(cut, maxAttempts: 2).completeMultipartUpload(key: "k", uploadID: "u", parts: [(1, "\"e\"")]) }
        let complete = RecordingS3Transport(always: "<CompleteMultipartUploadResult><ETag>\"e-1\"</ETag></CompleteMultipartUploadResult>")
        await #expect(try await fakeClient(complete).completeMultipartUpload(key: "k", uploadID: "u", parts: [(1, "\"e\"")]) == "\"e-1\"")
    }

    /// An error body that is not XML (a proxy's HTML page) leaves only the status to go on.
    @Test func errorResponseNeedsAnErrorDocument() {
        #expect(S3ErrorResponse(xml: "<html><body>Bad Gateway</body></html>") == nil)
        #expect(S3ErrorResponse(xml: "<Error><Code>SlowDown</Code>") == nil)
        #expect(S3ErrorResponse(xml: "<Error><Code>SlowDown</Code><Message>a &lt; b</Message></Error>")?.message == "a < b")
    }
}
