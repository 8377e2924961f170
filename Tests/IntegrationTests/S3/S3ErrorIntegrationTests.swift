import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// What radosgw answers to wrong credentials and names, as the user reads it.
@Suite(.ownThreads) struct S3ErrorIntegrationTests {
    let s3: TestS3
    init() throws { s3 = try TestS3.environment() }

    /// A wrong secret is reported as SignatureDoesNotMatch with advice to check the secret, which is not shown.
    @Test func wrongSecret() async throws {
        let good = try await s3.makeBucket("wrongsecret")
        let bad = s3.client(s3.settings(bucket: good.settings.bucket, secretKey: "not-the-Secret-0123456789"))
        let error = try await #require(throws: S3Error.self) { try await bad.listObjects(prefix: "") }
        guard case .signatureDoesNotMatch = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("secret access key"))
        #expect(!error.description.contains("not-the-Secret"))
        #expect(!error.description.contains(s3.secretKey))
    }

    /// An unknown access key is reported as InvalidAccessKeyId.
    @Test func wrongAccessKey() async throws {
        let good = try await s3.makeBucket("wrongkey")
        let bad = s3.client(s3.settings(bucket: good.settings.bucket, accessKey: "NOSUCHKEY0000"))
        let error = try await #require(throws: S3Error.self) { try await bad.listObjects(prefix: "") }
        guard case .invalidAccessKeyId = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("accessKeyId"))
    }

    /// A bucket that does not exist is reported as NoSuchBucket naming it.
    @Test func missingBucket() async throws {
        let client = s3.client(s3.settings(bucket: TestS3.uniqueBucket("missing")))
        let error = try await #require(throws: S3Error.self) { try await client.listObjects(prefix: "") }
        guard case .noSuchBucket(let bucket, _) = error else { Issue.record("got \(error)"); return }
        #expect(bucket == client.settings.bucket)
        #expect(error.description.contains("does not exist"))
    }

    /// Nothing listening on the port is reported as unreachable, after the retries.
    @Test func refusedConnection() async throws {
        var settings = s3.settings(bucket: "x", retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01))
        settings.endpoint = URL(string: "http://127.0.0.1:1")!
        let error = try await #require(throws: S3Error.self) { try await s3.client(settings).listObjects(prefix: "") }
        guard case .unreachable(_, _, .connect) = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("cannot connect"))
    }
}

/// radosgw's answer to a request signed for another region.
@Suite(.ownThreads) struct S3RegionIntegrationTests {
    /// radosgw (one zonegroup) verifies the signature with whatever region the credential scope names,
    /// so a wrong region is accepted here; AWS's AuthorizationHeaderMalformed and 301 answers are
    /// covered by the unit tests. If this starts failing, radosgw began checking regions: test the mapping here.
    @Test func radosgwAcceptsAnySigningRegion() async throws {
        let s3 = try TestS3.environment()
        let good = try await s3.makeBucket("region")
        _ = try await good.putObject(key: "k", body: UnsafeRawBufferPointer(start: nil, count: 0))
        let other = s3.client(s3.settings(bucket: good.settings.bucket, region: "eu-west-9"))
        await #expect(try other.listObjects(prefix: "").map(\.key) == ["k"])
    }
}
