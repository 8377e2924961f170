import BackupTestSupport
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

/// Faults radosgw cannot produce by itself: a connection reset mid-part and a 503 on part 2.
@Suite(.ownThreads) struct S3FaultTests {
    let s3: TestS3
    init() throws { s3 = try TestS3.environment() }

    /// A connection reset in the middle of a part is retried on a new connection and the upload completes intact.
    @Test func droppedConnectionMidPartIsRetried() async throws {
        let bucketClient = try await s3.makeBucket("drop")
        let proxy = try FaultProxy(upstreamPort: s3.endpoint.port ?? 80, dropAfterBytes: 7 << 20)
        defer { proxy.close() }
        var settings = bucketClient.settings
        settings.endpoint = URL(string: "http://127.0.0.1:\(proxy.port)")!
        let client = s3.client(settings)
        let uploader = MultipartUploader(client: client, plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 10_000), partsInFlight: 1, logger: Logger(label: "t"))
        let length = 16 << 20
        let receipt = try await uploader.upload(key: "dropped", from: PatternSource(length: length), metadata: [:], uploadStarted: { _ in })
        #expect(proxy.stats.dropped)
        #expect(proxy.stats.connections >= 2)
        #expect(receipt.sha256 == ExpectedDigest.byParts(PatternSource.bytes(length: length), sizes: [5 << 20, 5 << 20, 5 << 20, 1 << 20]))
        let head = try await #require(try bucketClient.headObject(key: "dropped"))
        #expect(head.size == Int64(length))
        let hasher = SHA256Hasher()
        try await bucketClient.getObject(key: "dropped") { hasher.update($0) }
        #expect(SHA256.hex(hasher.finalize()) == SHA256.hex(SHA256.hash(PatternSource.bytes(length: length))))
    }

    /// A 503 SlowDown on part 2 is retried (re-signed) and the object is complete and correct.
    @Test func slowDownOnPartTwoIsRetried() async throws {
        let bucketClient = try await s3.makeBucket("slowdown")
        let transport = FaultInjectingTransport(inner: CurlTransport()) { $0.url.contains("partNumber=2&") }
        let client = S3Client(settings: bucketClient.settings, transport: transport, logger: Logger(label: "t"))
        let uploader = MultipartUploader(client: client, plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 10_000), partsInFlight: 3, logger: Logger(label: "t"))
        let length = 12 << 20
        let receipt = try await uploader.upload(key: "slow", from: PatternSource(length: length), metadata: [:], uploadStarted: { _ in })
        #expect(transport.injectedCount == 1)
        #expect(receipt.partCount == 3)
        var hasher = SHA256Hasher()
        try await bucketClient.getObject(key: "slow") { hasher.update($0) }
        #expect(SHA256.hex(hasher.finalize()) == SHA256.hex(SHA256.hash(PatternSource.bytes(length: length))))
        #expect(receipt.sha256 == ExpectedDigest.byParts(PatternSource.bytes(length: length), sizes: [5 << 20, 5 << 20, 2 << 20]))
        hasher = SHA256Hasher()
    }
}
