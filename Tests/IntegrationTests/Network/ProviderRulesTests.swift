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

/// Provider profiles against a server that enforces the stricter providers' rules.
@Suite("Provider rules", .ownThreads)
struct ProviderRulesTests {
    let s3: TestS3
    init() throws { s3 = try TestS3.environment() }

    /// The destination for `bucket` through `proxy` with `provider` and at most `maxParts` parts.
    func destination(bucket: String, proxy: ProviderRulesProxy, provider: StorageProvider, maxParts: Int) -> DestinationConfig {
        var destination = s3.destination(bucket: bucket)
        destination.endpoint = proxy.endpoint
        destination.provider = provider
        destination.maxParts = maxParts
        destination.partsInFlight = 2
        destination.retryFor = .seconds(5)
        return destination
    }

    /// On an equal-parts provider with 3 parts of 5 MiB, a 40 MiB stream lands as segments of
    /// equal parts (none refused), no checksum header is sent, deletes go one by one, and the
    /// segments read back as the same stream; a growing plan is refused by the same server.
    @Test func equalPartsStreamBeyondMaxPartsLandsAsSegments() async throws {
        let bucket = try await s3.makeBucket("rules").settings.bucket
        let proxy = try ProviderRulesProxy(upstream: s3.endpoint, maxParts: 3)
        defer { proxy.stop() }
        let store = S3ObjectStore(destination: destination(bucket: bucket, proxy: proxy, provider: .mega, maxParts: 3), logger: Logger(label: "test.rules"))
        let length = 40 << 20
        let receipt = try await store.uploadStream(
            key: "db/big.bin", from: PatternSource(length: length), metadata: ["job": "big"], expectedSize: nil, uploadStarted: { _ in })
        let expected = PatternSource.bytes(length: length).withUnsafeBytes { SHA256.hex(SHA256.hash($0)) }
        #expect(receipt.keys == ["db/big.bin", "db/big.bin.002", "db/big.bin.003"])
        #expect(receipt.segments.map(\.size) == [15 << 20, 15 << 20, 10 << 20])
        #expect(receipt.size == Int64(length))
        #expect(receipt.sha256 == ExpectedDigest.byParts(PatternSource.bytes(length: length), sizes: receipt.segments.flatMap(\.parts).map(\.size)))
        #expect(try proxy.refusals().isEmpty)
        let hasher = SHA256Hasher()
        try await store.download(segments: receipt.keys) { hasher.update($0) }
        #expect(SHA256.hex(hasher.finalize()) == expected)
        // GCS's profile deletes one object per request: the proxy refuses DeleteObjects.
        let singles = S3ObjectStore(destination: destination(bucket: bucket, proxy: proxy, provider: .gcs, maxParts: 3), logger: Logger(label: "test.rules"))
        try await singles.delete(keys: receipt.keys)
        await #expect(try store.list(prefix: "db/").isEmpty)
        #expect(try proxy.refusals().isEmpty)

        let growing = S3ObjectStore(destination: destination(bucket: bucket, proxy: proxy, provider: .generic, maxParts: 3), logger: Logger(label: "test.rules"))
        await #expect(throws: S3Error.self) {
            try await growing.uploadStream(
                key: "db/growing.bin", from: PatternSource(length: 30 << 20), metadata: [:], expectedSize: nil, uploadStarted: { _ in })
        }
        #expect(try proxy.refusals()["unequal"] == 1)
    }

    /// A provider with multi-object delete is refused by this server: the rule is really enforced.
    @Test func multiObjectDeleteIsRefusedWhereTheRuleHolds() async throws {
        let bucket = try await s3.makeBucket("rulesdel").settings.bucket
        let proxy = try ProviderRulesProxy(upstream: s3.endpoint, maxParts: 3)
        defer { proxy.stop() }
        let store = S3ObjectStore(destination: destination(bucket: bucket, proxy: proxy, provider: .generic, maxParts: 3), logger: Logger(label: "test.rules"))
        await #expect(throws: S3Error.self) { try await store.delete(keys: ["db/a", "db/b"]) }
        #expect(try proxy.refusals()["delete"] == 1)
    }

    /// With an expected size, the equal part size is fixed up front so the stream fits one object
    /// under the part limit, keeping the plain key.
    @Test func expectedSizeFixesThePartSize() async throws {
        let bucket = try await s3.makeBucket("rulesize").settings.bucket
        let proxy = try ProviderRulesProxy(upstream: s3.endpoint, maxParts: 3)
        defer { proxy.stop() }
        let store = S3ObjectStore(destination: destination(bucket: bucket, proxy: proxy, provider: .mega, maxParts: 3), logger: Logger(label: "test.rules"))
        let receipt = try await store.uploadStream(
            key: "db/sized.bin", from: PatternSource(length: 24 << 20), metadata: [:], expectedSize: 20 << 20, uploadStarted: { _ in })
        #expect(receipt.keys == ["db/sized.bin"])
        #expect(receipt.segments.first?.partCount == 3)
        #expect(try proxy.refusals().isEmpty)
    }
}
