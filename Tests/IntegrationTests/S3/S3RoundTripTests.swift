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

/// Real uploads to radosgw, read back by the AWS CLI.
@Suite(.ownThreads) struct S3RoundTripTests {
    let s3: TestS3
    init() throws { s3 = try TestS3.environment() }

    /// A 30 MiB stream in 5 MiB parts round-trips: the AWS CLI reads the bytes whose SHA-256 the
    /// receipt names, and the metadata known at the start is on the object (the digest is not: it
    /// goes into the manifest, never back onto the object by a copy).
    @Test func multipartRoundTripReadByAWSCLI() async throws {
        let client = try await s3.makeBucket("roundtrip")
        let store = S3ObjectStore(client: client, plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 10_000), partsInFlight: 4, logger: Logger(label: "t"))
        var started: String?
        let length = 30 * 1024 * 1024 + 12_345
        let receipt = try await store.upload(
            key: "pg/app/2026 backup+1.dump.zst", from: PatternSource(length: length), metadata: ["job": "app-db"], uploadStarted: { started = $0 })
        #expect(started == receipt.uploadID)
        #expect(receipt.size == Int64(length))
        #expect(receipt.partCount == 7)
        let sizes: [Int64] = Array(repeating: 5 << 20, count: 6) + [12_345]
        #expect(receipt.parts.map(\.size) == sizes)
        #expect(receipt.sha256 == ExpectedDigest.byParts(PatternSource.bytes(length: length), sizes: sizes))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let get = try s3.aws(["s3api", "get-object", "--bucket", client.settings.bucket, "--key", receipt.key, file])
        #expect(get.status == 0, "\(get.error)")
        #expect(!get.output.contains("\"sha256\""))
        #expect(get.output.contains("\"job\": \"app-db\""))
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(ExpectedDigest.byParts(Array(data), sizes: sizes) == receipt.sha256)

        let head = try await store.head(key: receipt.key)
        #expect(head?.metadata == ["job": "app-db"])
        #expect(head?.size == Int64(length))
        #expect(receipt.partSize == 5 << 20)
        #expect(head?.etag == receipt.etag)
        await #expect(try store.openUploads(prefix: "pg/").isEmpty)
    }

    /// An empty metadata value is sent as an empty header (not dropped after signing), so the
    /// signature verifies and the value comes back empty.
    @Test func emptyMetadataValueIsSignedAndStored() async throws {
        let client = try await s3.makeBucket("emptymeta")
        let store = S3ObjectStore(client: client, plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 10_000), partsInFlight: 2, logger: Logger(label: "t"))
        let receipt = try await store.upload(
            key: "empty-meta", from: PatternSource(length: 1000), metadata: ["tool-version": "", "engine": "command"], uploadStarted: { _ in })
        let head = try await #require(try store.head(key: receipt.key))
        #expect(head.metadata["engine"] == "command")
        #expect(head.metadata["tool-version"] == "")
        #expect(head.metadata["sha256"] == nil)
    }

    /// A 13 MiB object (three parts) is stored with no copy request at all: every request the
    /// uploader sends is recorded on the wire, none names a copy source, and the object carries its
    /// start-time metadata.
    @Test func uploadSendsNoCopyRequest() async throws {
        let bucketClient = try await s3.makeBucket("nocopy")
        let proxy = try RequestLogProxy(upstreamPort: s3.endpoint.port ?? 80)
        defer { proxy.close() }
        var settings = bucketClient.settings
        settings.endpoint = URL(string: "http://127.0.0.1:\(proxy.port)")!
        let uploader = MultipartUploader(
            client: s3.client(settings), plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 10_000), partsInFlight: 2,
            logger: Logger(label: "t"))
        let length = 13 * 1024 * 1024
        let receipt = try await uploader.upload(key: "big", from: PatternSource(length: length), metadata: ["a": "b"], uploadStarted: { _ in })
        // The proxy logs a request once its answer is relayed: give the last one a moment.
        for _ in 0..<100 where proxy.requests.count < 6 { try? await Task.sleep(for: .seconds(0.02)) }
        let requests = proxy.requests
        #expect(requests.filter { $0.method == "PUT" && $0.target.contains("partNumber=") }.count == 3)
        #expect(requests.allSatisfy { $0.header("x-amz-copy-source") == nil && $0.header("x-amz-metadata-directive") == nil })
        #expect(requests.map(\.method) == ["POST"] + Array(repeating: "PUT", count: 3) + ["POST", "HEAD"])
        let head = try await #require(try bucketClient.headObject(key: "big"))
        #expect(head.metadata == ["a": "b"])
        #expect(receipt.partCount == 3)
        var data: [UInt8] = []
        try await bucketClient.getObject(key: "big") { data += $0 }
        #expect(data == PatternSource.bytes(length: length))
        #expect(ExpectedDigest.byParts(data, sizes: [5 << 20, 5 << 20, 3 << 20]) == receipt.sha256)
    }

    /// Keys with `+`, spaces, `=`, `:`, `~` and unicode are stored under exactly that name.
    @Test(arguments: ["a+b c", "x=y:z~w", "caf\u{E9}/\u{1F600} \u{65E5}\u{672C}", "dir//double/./dot"])
    func awkwardKeys(key: String) async throws {
        let client = try await s3.makeBucket("keys")
        let body = Array("hello \(key)".utf8)
        _ = try await S3Client.withBody(body) { try await client.putObject(key: key, body: $0) }
        let listed = try await client.listObjects(prefix: "")
        #expect(listed.map(\.key) == [key])
        var got: [UInt8] = []
        try await client.getObject(key: key) { got.append(contentsOf: $0) }
        #expect(got == body)
        // The AWS CLI, signing on its own, finds the object under exactly this name.
        let cli = try s3.aws(["s3api", "head-object", "--bucket", client.settings.bucket, "--key", key])
        #expect(cli.status == 0, "\(cli.error)")
        #expect(cli.output.contains("\"ContentLength\": \(body.count)"))
        try await client.deleteObjects(keys: [key])
        await #expect(try client.listObjects(prefix: "").isEmpty)
    }

    /// A producer that fails after three parts aborts the upload: no object, no open upload.
    @Test func producerFailureAborts() async throws {
        let client = try await s3.makeBucket("abort")
        let store = S3ObjectStore(client: client, plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 10_000), partsInFlight: 2, logger: Logger(label: "t"))
        await #expect(throws: PatternSource.ProducerFailed.self) {
            try await store.upload(key: "broken", from: PatternSource(length: 40 << 20, failAfter: 15 << 20), metadata: [:], uploadStarted: { _ in })
        }
        await #expect(try store.openUploads(prefix: "").isEmpty)
        await #expect(try store.head(key: "broken") == nil)
        let cli = try s3.aws(["s3api", "list-multipart-uploads", "--bucket", client.settings.bucket])
        #expect(cli.status == 0)
        #expect(!cli.output.contains("broken"))
    }

    /// Listing pages through more keys than one page holds, and DeleteObjects removes them all.
    @Test func listPaginatesAndDeleteRemoves() async throws {
        let client = try await s3.makeBucket("list")
        let keys = (0..<1005).map { String(format: "p/%04d", $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slice in 0..<8 {
                group.addTask {
                    for key in keys.enumerated().filter({ $0.offset % 8 == slice }).map(\.element) {
                        _ = try await S3Client.withBody([UInt8(1)]) { try await client.putObject(key: key, body: $0) }
                    }
                }
            }
            try await group.waitForAll()
        }
        await #expect(try client.listObjects(prefix: "p/").map(\.key) == keys)
        try await client.deleteObjects(keys: keys + ["p/missing"])
        await #expect(try client.listObjects(prefix: "p/").isEmpty)
    }
}
