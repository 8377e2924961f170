import BackupTestSupport
import Foundation
import SigV4
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Equal parts fixed up front, and streams cut into segments.
@Suite(.ownThreads) struct SegmentPlanTests {
    /// The equal part size fits the expected size with headroom in the part limit, in whole MiB,
    /// never below the configured size; no estimate keeps the configured size.
    @Test func equalPartSizeFromExpectedSize() {
        let plan = PartSizePlan.equal(minimumPartSize: 8 << 20, maxParts: 10_000, expectedSize: 100 << 30)
        #expect(plan.equalParts)
        #expect(plan.firstPartSize == 16 << 20)
        #expect(plan.size(ofPart: 9_999) == 16 << 20)
        #expect(plan.maxObjectSize == Int64(16 << 20) * 10_000)
        #expect(PartSizePlan.equal(minimumPartSize: 8 << 20, maxParts: 10_000, expectedSize: nil).firstPartSize == 8 << 20)
        #expect(PartSizePlan.equal(minimumPartSize: 8 << 20, maxParts: 1000, expectedSize: 1 << 30).firstPartSize == 8 << 20)
    }

    /// A growing provider with the configured plan keeps it; an equal-parts profile fixes the size.
    @Test func uploaderPicksThePlanFromTheProfile() {
        let fake = FakeS3Transport()
        let growing = MultipartUploader(
            client: fakeClient(fake), plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 100), partsInFlight: 1,
            logger: .init(label: "t"))
        #expect(growing.effectivePlan(expectedSize: 10 << 30) == PartSizePlan(firstPartSize: 5 << 20, maxParts: 100))
        let equal = MultipartUploader(
            client: fakeClient(fake), plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 100), partsInFlight: 1,
            logger: .init(label: "t"), profile: StorageProvider.r2.profile)
        #expect(equal.effectivePlan(expectedSize: 1 << 30).firstPartSize == 16 << 20)
    }

    /// The segmenting source ends each segment at the limit, tells whether more follows, and
    /// loses no byte across the boundary.
    @Test func segmentingSourceCutsAtTheLimit() throws {
        let source = SegmentingSource(CountingSource(length: 25), limit: 10)
        var segments: [[UInt8]] = []
        repeat {
            if !segments.isEmpty { source.nextSegment() }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 7)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                bytes += buffer[0..<n]
            }
            segments.append(bytes)
        } while try source.hasMore()
        #expect(segments.map(\.count) == [10, 10, 5])
        #expect(source.total == 25)
    }

    /// Segment keys are numbered with three digits.
    @Test func segmentKeys() {
        #expect(StreamReceipt.segmentKey("db/a.dump.zst", index: 1) == "db/a.dump.zst.001")
        #expect(StreamReceipt.segmentKey("db/a.dump.zst", index: 12) == "db/a.dump.zst.012")
        #expect(StreamReceipt.segmentKey("db/a.dump.zst", index: 1234) == "db/a.dump.zst.1234")
    }

    /// A stream over the limit of one object (3 parts of 5 MiB) lands as segments whose digests
    /// and the whole stream's are right, with the parts of each segment equal.
    @Test func uploadStreamSegmentsOverTheFake() async throws {
        let fake = FakeS3Transport()
        let uploader = MultipartUploader(
            client: fakeClient(fake), plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 3), partsInFlight: 2,
            logger: .init(label: "t"), profile: StorageProvider.mega.profile)
        let source = CountingSource(length: 32 << 20)
        let receipt = try await uploader.uploadStream(
            key: "k", from: source, metadata: [:], expectedSize: nil, uploadStarted: { _ in })
        #expect(receipt.keys == ["k", "k.002", "k.003"])
        #expect(receipt.segments.map(\.size) == [15 << 20, 15 << 20, 2 << 20])
        var all: [UInt8] = []
        let next = CountingSource(length: 32 << 20)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try next.read(into: $0) }
            if n == 0 { break }
            all += buffer[0..<n]
        }
        // The stream's digest is made of every segment's parts, in order; each segment's of its own.
        let sizes: [Int64] = [5 << 20, 5 << 20, 5 << 20, 5 << 20, 5 << 20, 5 << 20, 2 << 20]
        #expect(receipt.segments.flatMap(\.parts).map(\.size) == sizes)
        #expect(receipt.sha256 == ExpectedDigest.byParts(all, sizes: sizes))
        #expect(receipt.segments[1].sha256 == ExpectedDigest.byParts(all[(15 << 20)..<(30 << 20)], sizes: [5 << 20, 5 << 20, 5 << 20]))
    }
}

/// How parts are signed by transport.
@Suite(.ownThreads) struct PartSigningTests {
    /// On https as on http every part is signed with its own SHA-256 (the server checks each
    /// part), the same digest the receipt (and the manifest) records: one digest per byte.
    @Test(arguments: ["https", "http"])
    func everyPartCarriesItsDigest(scheme: String) async throws {
        let fake = FakeS3Transport()
        let client = S3Client(
            settings: S3Settings(
                endpoint: URL(string: "\(scheme)://s3.example.test")!, region: "r", bucket: "b",
                credentials: SigV4Credentials(accessKeyId: "AKID", secretAccessKey: "s")),
            transport: fake, logger: .init(label: "t"), sleep: { _ in })
        let uploader = MultipartUploader(
            client: client, plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 100), partsInFlight: 2, logger: .init(label: "t"))
        let receipt = try await uploader.upload(
            key: "k", from: CountingSource(length: 11 << 20), metadata: [:], uploadStarted: { _ in })
        let hashes = fake.calls.filter { $0.operation == "UploadPart" }.map { $0.header("x-amz-content-sha256") }
        let object = fake.object ?? []
        let parts = [0..<(5 << 20), (5 << 20)..<(10 << 20), (10 << 20)..<(11 << 20)].map { object[$0].withUnsafeBytes { SHA256.hex(SHA256.hash($0)) } }
        #expect(Set(hashes) == Set(parts))
        #expect(hashes.count == 3)
        #expect(receipt.parts.map(\.sha256) == parts)
        #expect(receipt.sha256 == ExpectedDigest.byParts(object, sizes: [5 << 20, 5 << 20, 1 << 20]))
    }
}
