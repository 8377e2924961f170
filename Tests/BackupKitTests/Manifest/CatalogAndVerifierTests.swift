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

/// A verifier with the real launcher and a fixed clock.
func testVerifier() -> BackupVerifier {
    BackupVerifier(launcher: PosixProcessLauncher(), environment: testEnvironment, clock: FixedClock(time: pipelineStart))
}

@Suite("Catalog and verifier over an in-memory bucket", .ownThreads)
struct CatalogAndVerifierTests {
    /// A run stores its data, then the manifest, which records each object's size, digest, ETag,
    /// part size and count as uploaded; the catalog lists it as complete.
    @Test func runWritesManifestLast() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let config = try shellJob("head -c 3000000 /dev/urandom")
        let outcome = try await runJob(config, store: store)
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let manifest = try BackupManifest.parse(try #require(store.bytes(of: manifestKey)), key: manifestKey)
        let key = try #require(outcome.objectKey)
        let object = try #require(manifest.objects.first)
        #expect(manifest.backupId == "job1-20261125T023000Z-0123abcd")
        #expect(manifest.host == "testhost")
        #expect(manifest.engine == "command" && manifest.compression == "zstd")
        #expect(object.key == key && object.role == "dump")
        #expect(object.sha256 == SHA256.hex(SHA256.hash(try #require(store.bytes(of: key)))))
        #expect(object.size == outcome.bytesStored && object.partSize == 1 << 20 && object.partCount >= 1)
        let entries = try await BackupCatalog(store: store, job: config.jobs[0]).entries()
        #expect(entries.map(\.id) == ["job1-20261125T023000Z-0123abcd"])
        #expect(entries[0].state == .complete && entries[0].manifestKey == manifestKey)
        await #expect(try store.head(key: key)?.metadata["backup-id"] == "job1-20261125T023000Z-0123abcd")
    }

    /// Data without a manifest is an incomplete backup: listed only on request, never the latest.
    @Test func missingManifestIsIncomplete() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let config = try shellJob("echo data")
        _ = try await runJob(config, store: store)
        try await store.delete(keys: [manifestKey])
        let catalog = BackupCatalog(store: store, job: config.jobs[0])
        await #expect(try catalog.entries().isEmpty)
        await #expect(try catalog.latest() == nil)
        let all = try await catalog.entries(includeIncomplete: true)
        #expect(all.map(\.state) == [.incomplete])
        #expect(all[0].problem?.contains("no manifest") == true)
        let report = await testVerifier().verify(all[0], job: config.jobs[0], store: store, logger: Logger(label: "t"))
        #expect(!report.passed)
        #expect(report.allProblems.joined().contains("is incomplete"))
    }

    /// An old backup (token-less name, digest in x-amz-meta-sha256) is listed as legacy and verifies.
    @Test func legacyBackupIsUsable() async throws {
        let store = MemoryObjectStore()
        let config = try shellJob("true", compression: "none")
        let bytes = Array("legacy backup".utf8)
        let key = "pre/fix/job1-20261124T010000Z.tar"
        _ = try await store.upload(
            key: key, from: BytesSource(bytes), metadata: ["engine": "command", "compression": "none", "tool": "sh"], uploadStarted: { _ in })
        let catalog = BackupCatalog(store: store, job: config.jobs[0])
        await #expect(try catalog.entries().isEmpty)
        store.setMetadata(key: key, ["engine": "command", "compression": "none", "sha256": SHA256.hex(SHA256.hash(bytes))])
        let entry = try await #require(try catalog.latest())
        #expect(entry.state == .legacy && entry.id == "job1-20261124T010000Z" && entry.manifestKey == nil)
        await #expect(testVerifier().verify(entry, job: config.jobs[0], store: store, logger: Logger(label: "t")).passed)
    }

    /// Verification passes on an intact backup and fails naming the object, expected and found
    /// digest when one byte is flipped, and the size when the object is truncated.
    @Test func verifierFindsCorruption() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let config = try shellJob("head -c 2000000 /dev/urandom")
        let outcome = try await runJob(config, store: store)
        let key = try #require(outcome.objectKey)
        let job = config.jobs[0]
        let catalog = BackupCatalog(store: store, job: job)
        await #expect(testVerifier().verify(try #require(try catalog.latest()), job: job, store: store, logger: Logger(label: "t")).passed)

        let original = try #require(store.bytes(of: key))
        var flipped = original
        flipped[flipped.count / 2] ^= 0x01
        store.replace(key: key, with: flipped)
        let bad = await testVerifier().verify(try #require(try catalog.latest()), job: job, store: store, logger: Logger(label: "t"))
        #expect(!bad.passed)
        let expected = SHA256.hex(SHA256.hash(original))
        let found = SHA256.hex(SHA256.hash(flipped))
        #expect(bad.allProblems.contains("\(key): SHA-256 expected \(expected) (manifest), found \(found)"))

        store.replace(key: key, with: Array(original.prefix(original.count - 100)))
        let short = await testVerifier().verify(try #require(try catalog.latest()), job: job, store: store, logger: Logger(label: "t"))
        #expect(short.allProblems.contains("\(key): size expected \(original.count) bytes (manifest), found \(original.count - 100) bytes"))
        #expect(short.allProblems.contains { $0.contains("compression layer (zstd frame checksum) failed") })
    }

    /// A verification stopped while it reads (a shutdown, a timeout) says nothing against the
    /// backup: the report could not run (naming the stop) and is neither passed nor failed.
    @Test func stoppedVerificationCouldNotRun() async throws {
        let memory = MemoryObjectStore(partSize: 1 << 20)
        let config = try shellJob("head -c 100000 /dev/urandom")
        _ = try await runJob(config, store: memory)
        let job = config.jobs[0]
        let entry = try #require(try await BackupCatalog(store: memory, job: job).latest())
        let report = try await cancelling(after: .milliseconds(300), reason: "SIGTERM") {
            await testVerifier().verify(entry, job: job, store: StalledDownloadStore(inner: memory), logger: Logger(label: "t"))
        }
        #expect(!report.failed && report.couldNotRun, "\(report.allProblems)")
        #expect(report.unverifiedReasons == ["the verification was stopped: SIGTERM"])
    }

    /// A restore stops with a loud digest error when the bytes differ from the manifest, even when
    /// they decompress cleanly (another valid stream put in its place), and the tool never sees the end.
    @Test func restoreRefusesDigestMismatch() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let config = try shellJob("echo original content", compression: "gzip")
        let outcome = try await runJob(config, store: store)
        let key = try #require(outcome.objectKey)
        let impostor = try compressBytes(Array("impostor content\n".utf8), .gzip)
        store.replace(key: key, with: impostor)
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let target = tmp.path + "/out.tar"
        let error = try await #require(throws: RestoreError.self) {
            try await Restorer(stores: store, launcher: PosixProcessLauncher(), environment: testEnvironment)
                .restore(job: config.jobs[0], config: config, key: nil, options: RestoreOptions(target: target), logger: Logger(label: "t"))
        }
        #expect(error.description.contains("RESTORE FAILED, \(key) does not match its manifest"))
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}

/// Compresses `bytes` in one go.
func compressBytes(_ bytes: [UInt8], _ compression: Compression) throws -> [UInt8] {
    var out: [UInt8] = []
    let source = CodecSource(BytesSource(bytes), codec: try compression.makeCompressor())
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { break }
        out.append(contentsOf: buffer[..<n])
    }
    return out
}

/// A store in memory whose downloads stall until the task is cancelled.
private struct StalledDownloadStore: BackupObjectStore {
    let inner: MemoryObjectStore

    func upload(key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void) async throws -> UploadReceipt {
        try await inner.upload(key: key, from: source, metadata: metadata, uploadStarted: uploadStarted)
    }
    func head(key: String) async throws -> StoredObject? { try await inner.head(key: key) }
    func list(prefix: String) async throws -> [StoredObject] { try await inner.list(prefix: prefix) }
    func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        try await Task.sleep(for: .seconds(600))
        try await inner.download(key: key, to: sink)
    }
    func delete(keys: [String]) async throws { try await inner.delete(keys: keys) }
    func abortUpload(key: String, uploadID: String) async throws { try await inner.abortUpload(key: key, uploadID: uploadID) }
    func openUploads(prefix: String) async throws -> [OpenUpload] { try await inner.openUploads(prefix: prefix) }
    func createObject(key: String, body: [UInt8], contentType: String) async throws -> String {
        try await inner.createObject(key: key, body: body, contentType: contentType)
    }
}
