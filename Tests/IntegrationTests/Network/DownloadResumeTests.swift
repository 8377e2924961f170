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

/// Downloads that break mid-body resume with a ranged GET; large objects come in parallel ranges.
@Suite("Download resume", .ownThreads)
struct DownloadResumeTests {
    /// A connection reset in the middle of a download (one GET) resumes from the byte where it
    /// broke and delivers the object byte for byte.
    @Test func resetMidDownloadResumes() async throws {
        let fixture = try await NetworkFixture("resume")
        defer { fixture.tearDown() }
        let bytes = PatternSource.bytes(length: 12 << 20)
        _ = try await S3Client.withBody(bytes) { try await fixture.direct.putObject(key: "db/object.bin", body: $0) }
        let destination = try #require(try fixture.config(destination: ["partsInFlight": 1]).destinations.first)
        let store = S3ObjectStore(destination: destination, logger: Logger(label: "test.net"))
        fixture.proxy.resetNextDownload(after: 5 << 20)
        var received: [UInt8] = []
        try await store.download(key: "db/object.bin") { received.append(contentsOf: $0) }
        #expect(fixture.proxy.faults.downloadsReset == 1)
        #expect(received == bytes)
    }

    /// A restore's object fetched as parallel ranged GETs arrives in order, also when one range's
    /// connection is reset halfway; the ranges in memory stay bounded.
    @Test func parallelRangesSurviveAReset() async throws {
        let fixture = try await NetworkFixture("ranges")
        defer { fixture.tearDown() }
        let bytes = PatternSource.bytes(length: 11 << 20 + 12345)
        _ = try await S3Client.withBody(bytes) { try await fixture.direct.putObject(key: "db/big.bin", body: $0) }
        let client = fixture.s3.client(S3Settings(
            endpoint: URL(string: fixture.proxyEndpoint)!, region: fixture.s3.region, bucket: fixture.bucket,
            credentials: fixture.direct.settings.credentials, retry: RetryPolicy(budget: 30)))
        fixture.proxy.resetNextDownload(after: 3 << 20)
        var received: [UInt8] = []
        var chunks = 0
        try await client.download(key: "db/big.bin", inFlight: 4, rangeSize: 1 << 20) { chunk in
            #expect(chunk.count <= 1 << 20)
            received.append(contentsOf: chunk)
            chunks += 1
        }
        #expect(fixture.proxy.faults.downloadsReset == 1)
        #expect(chunks == 12)
        #expect(received == bytes)
    }

    /// A stream stored as segments reads back as one stream through the store.
    @Test func segmentsReadAsOneStream() async throws {
        let fixture = try await NetworkFixture("segread")
        defer { fixture.tearDown() }
        let bytes = PatternSource.bytes(length: 3 << 20)
        for (index, range) in [0..<(1 << 20), (1 << 20)..<(3 << 20)].enumerated() {
            _ = try await S3Client.withBody(Array(bytes[range])) { try await fixture.direct.putObject(key: "db/s.bin.00\(index + 1)", body: $0) }
        }
        let destination = try #require(try fixture.config().destinations.first)
        let store = S3ObjectStore(destination: destination, logger: Logger(label: "test.net"))
        var received: [UInt8] = []
        try await store.download(segments: ["db/s.bin.001", "db/s.bin.002"]) { received.append(contentsOf: $0) }
        #expect(received == bytes)
    }
}
