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

/// Error responses and the `S3Error` (and message) a user gets.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    var response: HTTPResponse
    var check: @Sendable (S3Error) -> Bool
    var phrase: String
    var testDescription: String { phrase }
}

let errorCases: [ErrorCase] = [
    ErrorCase(response: errorResponse(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
              check: { if case .invalidAccessKeyId = $0 { true } else { false } }, phrase: "check accessKeyId"),
    ErrorCase(response: errorResponse(403, "SignatureDoesNotMatch"),
              check: { if case .signatureDoesNotMatch = $0 { true } else { false } }, phrase: "check the secret access key"),
    ErrorCase(response: errorResponse(403, "RequestTimeTooSkewed", headers: ["date": "Thu, 01 Jan 2026 00:20:01 GMT"]),
              check: { if case .requestTimeTooSkewed(let skew) = $0 { abs((skew ?? 0) - 1200) < 5 } else { false } }, phrase: "s off the service's; S3 allows 15 minutes"),
    ErrorCase(response: errorResponse(400, "AuthorizationHeaderMalformed", "the region 'default' is wrong; expecting 'eu-west-1'", extra: "<Region>eu-west-1</Region>"),
              check: { if case .wrongRegion(_, _, "eu-west-1") = $0 { true } else { false } }, phrase: "set the destination's region to \"eu-west-1\""),
    ErrorCase(response: HTTPResponse(status: 301, headers: ["x-amz-bucket-region": "us-west-2"]),
              check: { if case .wrongRegion(_, _, "us-west-2") = $0 { true } else { false } }, phrase: "is in region us-west-2"),
    ErrorCase(response: errorResponse(404, "NoSuchBucket", "The specified bucket does not exist"),
              check: { if case .noSuchBucket("b", _) = $0 { true } else { false } }, phrase: "bucket b does not exist"),
    ErrorCase(response: errorResponse(403, "AccessDenied", "Access Denied"),
              check: { if case .accessDenied("ListObjectsV2", "b", nil, _) = $0 { true } else { false } }, phrase: "s3:ListBucket"),
    ErrorCase(response: HTTPResponse(status: 403),
              check: { if case .accessDenied = $0 { true } else { false } }, phrase: "access denied for ListObjectsV2"),
]

/// The client's retry policy, error mapping, addressing and XML handling.
@Suite(.ownThreads) struct S3ClientTests {
    /// Each S3 error code becomes the matching `S3Error`, with advice, without the secret, and is not retried.
    @Test(arguments: errorCases)
    func errorMapping(errorCase: ErrorCase) async throws {
        let transport = FixedTransport(errorCase.response)
        let error = try await #require(throws: S3Error.self) { try await fakeClient(transport).listObjects(prefix: "") }
        #expect(errorCase.check(error), "got \(error)")
        #expect(error.description.contains(errorCase.phrase), "\(error)")
        #expect(!error.description.contains("Fake-Secret-Value"))
        #expect(transport.requests.count == 1)
    }

    /// 5xx, 429 and RequestTimeout are retried up to the limit; each try is signed anew.
    @Test(arguments: [errorResponse(500, "InternalError"), errorResponse(503, "SlowDown"), HTTPResponse(status: 429), errorResponse(400, "RequestTimeout")])
    func transientErrorsAreRetried(response: HTTPResponse) async throws {
        let transport = FixedTransport(response)
        await #expect(throws: S3Error.self) { try await fakeClient(transport, maxAttempts: 3).listObjects(prefix: "") }
        #expect(transport.requests.count == 3)
        let dates = Set(transport.requests.map { request in request.headers.first { $0.name == "x-amz-date" }?.value ?? "" })
        #expect(dates.count == 3)
    }

    /// Path-style puts the bucket in the path; virtual-hosted in the host, keeping a non-default port.
    @Test func addressing() async throws {
        let transport = FixedTransport(HTTPResponse(status: 200))
        var settings = fakeClient(transport).settings
        let pathStyle = S3Client(settings: settings, transport: transport, logger: Logger(label: "t"))
        _ = try await S3Client.withBody([UInt8(1)]) { try await pathStyle.putObject(key: "a b/c+d", body: $0) }
        settings.pathStyle = false
        settings.endpoint = URL(string: "https://s3.example.com")!
        let virtual = S3Client(settings: settings, transport: transport, logger: Logger(label: "t"))
        _ = try await S3Client.withBody([UInt8(1)]) { try await virtual.putObject(key: "k", body: $0) }
        #expect(transport.requests.map(\.url) == ["http://127.0.0.1:9000/b/a%20b/c%2Bd", "https://b.s3.example.com/k"])
        #expect(transport.requests[0].headers.first { $0.name == "host" }?.value == "127.0.0.1:9000")
        #expect(transport.requests[1].headers.first { $0.name == "host" }?.value == "b.s3.example.com")
    }

    /// ListObjectsV2 follows continuation tokens and decodes XML entities in keys.
    @Test func listingPaginates() async throws {
        final class Pages: HTTPTransport, @unchecked Sendable {
            var urls: [String] = []
            func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
                urls.append(request.url)
                let page = request.url.contains("continuation-token=")
                    ? "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>b&amp;c</Key><Size>2</Size></Contents></ListBucketResult>"
                    : "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t/1=</NextContinuationToken><Contents><Key>a</Key><Size>1</Size><LastModified>2026-01-02T03:04:05.000Z</LastModified></Contents></ListBucketResult>"
                return HTTPResponse(status: 200, body: Array(page.utf8))
            }
        }
        let pages = Pages()
        let objects = try await fakeClient(pages).listObjects(prefix: "")
        #expect(objects.map(\.key) == ["a", "b&c"])
        #expect(objects.map(\.size) == [1, 2])
        #expect(objects[0].lastModified == Date(timeIntervalSince1970: 1_767_323_045))
        #expect(pages.urls.last?.contains("continuation-token=t%2F1%3D") == true)
    }

    /// ListMultipartUploads reads each upload's start time; one it cannot read never looks stale.
    @Test func openUploadsWithUnreadableStartTimeAreNeverStale() async throws {
        final class Uploads: HTTPTransport, @unchecked Sendable {
            func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
                let page = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
                    + "<Upload><Key>p/a</Key><UploadId>1</UploadId><Initiated>2026-01-02T03:04:05.000Z</Initiated></Upload>"
                    + "<Upload><Key>p/b</Key><UploadId>2</UploadId><Initiated>yesterday</Initiated></Upload>"
                    + "</ListMultipartUploadsResult>"
                return HTTPResponse(status: 200, body: Array(page.utf8))
            }
        }
        let uploads = try await fakeClient(Uploads()).listMultipartUploads(prefix: "p/")
        #expect(uploads.map(\.uploadID) == ["1", "2"])
        #expect(uploads[0].initiated == Date(timeIntervalSince1970: 1_767_323_045))
        #expect(uploads[1].initiated > Date().addingTimeInterval(86_400))
    }
}
