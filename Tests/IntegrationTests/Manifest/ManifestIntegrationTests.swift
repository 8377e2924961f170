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

/// Manifests on the real S3 server (radosgw), checked on the wire and by the AWS CLI.
@Suite("Manifests on radosgw", .ownThreads)
struct ManifestIntegrationTests {
    /// A 12 MiB backup (three parts) sends no copy request at all (every request is logged by a
    /// proxy on the wire); the manifest is the last PUT, sent with If-None-Match: *; the digests it
    /// records are those of the bytes the AWS CLI downloads.
    @Test func manifestLastNoCopyDigestsMatchAWSCLI() async throws {
        let s3 = try TestS3.environment()
        let proxy = try RequestLogProxy(upstreamPort: s3.endpoint.port ?? 80)
        defer { proxy.close() }
        let destination = try await TestDestination.make(throughPort: proxy.port)
        let name = "nocopy-\(TestServers.uniqueName())"
        let pipeline = try Pipeline(destination: destination, name: name, job: [
            "engine": "command", "compression": "none",
            "connection": ["argv": ["head", "-c", String(12 << 20), "/dev/urandom"], "extension": "bin"],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let requests = proxy.requests
        #expect(!requests.isEmpty)
        #expect(requests.allSatisfy { $0.header("x-amz-copy-source") == nil && $0.header("x-amz-copy-source-range") == nil })
        let puts = requests.filter { $0.method == "PUT" }
        let last = try #require(puts.last)
        #expect(last.target.hasSuffix(".manifest.json"))
        #expect(last.header("if-none-match") == "*")
        #expect(puts.filter { $0.target.contains("partNumber=") }.count == 3)

        let entry = try await #require(try pipeline.catalog.latest())
        let manifest = try #require(entry.manifest)
        let cliManifest = try BackupManifest.parse(
            Array(try s3.aws(["s3", "cp", "s3://\(destination.bucket)/\(try #require(entry.manifestKey))", "-"]).output.utf8), key: "cli")
        #expect(cliManifest == manifest)
        for object in manifest.objects {
            #expect(try s3.cliDigest(bucket: destination.bucket, as: object) == object.digest)
            #expect(object.sha256 == nil && object.parts?.map(\.size) == [5 << 20, 5 << 20, 2 << 20])
            #expect(object.partCount == 3 && object.partSize == 5 << 20 && object.size == 12 << 20)
            await #expect(try destination.store.head(key: object.key)?.etag == object.etag)
        }
        await #expect(try destination.store.head(key: outcome.objectKey ?? "")?.metadata["sha256"] == nil)
    }

    /// On a bucket with versioning enabled one backup makes exactly one version of each of its keys.
    @Test func versionedBucketHasOneVersionPerKey() async throws {
        let s3 = try TestS3.environment()
        let destination = try await TestDestination.make()
        let enable = try s3.aws([
            "s3api", "put-bucket-versioning", "--bucket", destination.bucket, "--versioning-configuration", "Status=Enabled",
        ])
        #expect(enable.status == 0, "\(enable.error)")
        let name = "versioned-\(TestServers.uniqueName())"
        let pipeline = try Pipeline(destination: destination, name: name, job: [
            "engine": "command", "connection": ["argv": ["head", "-c", String(7 << 20), "/dev/urandom"], "extension": "bin"],
        ])
        await #expect(pipeline.backup().status == .succeeded)
        let listing = try s3.aws(["s3api", "list-object-versions", "--bucket", destination.bucket, "--output", "json"])
        #expect(listing.status == 0, "\(listing.error)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(listing.output.utf8)) as? [String: Any])
        let versions = (json["Versions"] as? [[String: Any]]) ?? []
        let keys = versions.compactMap { $0["Key"] as? String }
        #expect(keys.count == 2, "\(keys)")
        #expect(Set(keys).count == keys.count)
        #expect(keys.contains { $0.hasSuffix(".manifest.json") } && keys.contains { $0.hasSuffix(".bin.zst") })
    }

    /// The manifest never overwrites: a second create of the same key is refused by the server's
    /// If-None-Match and the first content stays.
    @Test func manifestNeverOverwrites() async throws {
        let destination = try await TestDestination.make()
        _ = try await destination.store.createObject(key: "m.manifest.json", body: Array("first".utf8), contentType: "application/json")
        await #expect(throws: ObjectStoreError.alreadyExists(key: "m.manifest.json")) {
            try await destination.store.createObject(key: "m.manifest.json", body: Array("second".utf8), contentType: "application/json")
        }
        await #expect(try destination.store.read(key: "m.manifest.json") == Array("first".utf8))
    }

    /// Two runs of a job started in the same second get different names, and both are backups.
    @Test func sameSecondRunsDoNotCollide() async throws {
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "twice-\(TestServers.uniqueName())", job: [
            "engine": "command", "connection": ["argv": ["sh", "-c", "echo $$"], "extension": "txt"],
        ])
        let start = Date()
        let first = await pipeline.backup(startedAt: start)
        let second = await pipeline.backup(startedAt: start)
        #expect(first.status == .succeeded && second.status == .succeeded)
        #expect(first.objectKey != second.objectKey)
        let entries = try await pipeline.catalog.entries()
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0.state == .complete })
    }

    /// The catalog reads every page of the listing (more than 1,000 keys): complete and
    /// incomplete backups are all found.
    @Test func catalogReadsEveryPage() async throws {
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "pages", job: [
            "engine": "command", "connection": ["argv": ["echo", "x"], "extension": "txt"],
        ])
        await #expect(pipeline.backup(startedAt: Date(timeIntervalSince1970: 1_900_000_000)).status == .succeeded)
        let client = try TestS3.environment().client(try TestS3.environment().settings(bucket: destination.bucket))
        let keys = (0..<1001).map { ObjectName.make(prefix: pipeline.job.prefix, job: "pages", time: Date(timeIntervalSince1970: 1_700_000_000 + Double($0)), token: "00000000", suffix: ".txt.zst") }
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
        let all = try await pipeline.catalog.entries(includeIncomplete: true)
        #expect(all.count == 1002)
        #expect(all.first?.state == .complete)
        #expect(all.dropFirst().allSatisfy { $0.state == .incomplete })
        await #expect(try pipeline.catalog.entries().count == 1)
    }

    /// A backup written before manifests (token-less name, digest in x-amz-meta-sha256) still
    /// lists, verifies and restores, in the library and through the real binary.
    @Test func legacyBackupStillWorks() async throws {
        let destination = try await TestDestination.make()
        let name = "legacy-\(TestServers.uniqueName())"
        let tmp = temporaryStateDirectory()
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let connection: [String: Any] = ["argv": ["true"], "restoreArgv": ["sh", "-c", "cat > \(tmp)/out"], "extension": "txt"]
        let pipeline = try Pipeline(destination: destination, name: name, job: [
            "engine": "command", "compression": "gzip", "connection": connection,
        ])
        let content = Array("written by backupd 0.1\n".utf8)
        let stored = try compressBytes(content)
        let key = "\(pipeline.job.prefix)/\(name)-20261101T010000Z.txt.gz"
        _ = try await destination.store.upload(
            key: key, from: ArraySource(stored),
            metadata: ["engine": "command", "compression": "gzip", "tool": "true", "sha256": SHA256.hex(SHA256.hash(stored))], uploadStarted: { _ in })
        let entry = try await #require(try pipeline.catalog.latest())
        #expect(entry.state == .legacy && entry.id == "\(name)-20261101T010000Z")
        await #expect(try pipeline.verify().allSatisfy(\.passed))
        _ = try await pipeline.restore(options: RestoreOptions())
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: tmp + "/out"))) == content)

        try FileManager.default.removeItem(atPath: tmp + "/out")
        let cli = try CommandLineJob(state: tmp + "/state", destination: destination, pipeline: pipeline, connection: connection, extra: ["compression": "gzip"])
        defer { cli.remove() }
        let list = try cli.backupd(["list", name])
        #expect(list.status == 0 && list.stdout.contains("\(entry.id) (legacy)"), "\(list.stdout)\(list.stderr)")
        let verify = try cli.backupd(["verify", name])
        #expect(verify.status == 0 && verify.stdout.contains("verified \(entry.id) (legacy)"), "\(verify.stdout)\(verify.stderr)")
        let restore = try cli.backupd(["restore", name, "--verify-first"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: tmp + "/out"))) == content)
    }
}

/// gzip of `bytes`.
func compressBytes(_ bytes: [UInt8]) throws -> [UInt8] {
    var out: [UInt8] = []
    let source = CodecSource(ArraySource(bytes), codec: try Compression.gzip.makeCompressor())
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { break }
        out.append(contentsOf: buffer[..<n])
    }
    return out
}

/// A source over bytes in memory.
final class ArraySource: ByteSource, @unchecked Sendable {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        if n > 0 { bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) } }
        offset += n
        return n
    }
}
