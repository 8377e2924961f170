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

/// Manifest format 2: each object digested by its parts (the digests its upload was signed with),
/// verified and restored part by part; format 1 (a whole-stream SHA-256) still reads.
@Suite("Part digests in the manifest", .ownThreads)
struct PartDigestManifestTests {
    private let log = Logger(label: "t")

    /// Runs a 2.5 MB command job into a store that digests 1 MiB parts, as the S3 uploader does.
    private func partsBackup(compression: String = "none") async throws -> (store: MemoryObjectStore, config: BackupConfig, key: String) {
        let store = MemoryObjectStore(partSize: 1 << 20, digestsParts: true)
        let config = try shellJob("head -c 2500000 /dev/urandom", compression: compression)
        let outcome = try await runJob(config, store: store)
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        return (store, config, try #require(outcome.objectKey))
    }

    private func manifest(_ store: MemoryObjectStore) throws -> BackupManifest {
        try BackupManifest.parse(try #require(store.bytes(of: manifestKey)), key: manifestKey)
    }

    private func verify(_ store: MemoryObjectStore, _ config: BackupConfig) async throws -> VerifyReport {
        let entry = try #require(try await BackupCatalog(store: store, job: config.jobs[0]).latest())
        return await testVerifier().verify(entry, job: config.jobs[0], store: store, logger: log)
    }

    /// Edits the stored manifest's JSON.
    private func editManifest(_ store: MemoryObjectStore, _ change: (inout [String: Any]) -> Void) throws {
        let bytes = try #require(store.bytes(of: manifestKey))
        var json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        change(&json)
        store.replace(key: manifestKey, with: Array(try JSONSerialization.data(withJSONObject: json)))
    }

    /// The composite digest is the SHA-256 of the binary part digests joined (checked against Python's hashlib).
    @Test func compositeDigestVector() {
        let empty = SHA256.emptyHex
        let abc = SHA256.hex(SHA256.hash(Array("abc".utf8)))
        #expect(SHA256.composite(ofHex: [empty, abc]) == "bddbdf7e9df02f902ee5dd61b2b513d7566a2112ff97db7dc3b6d184a43ef0e3")
        #expect(PartDigest.label(composite: "ab", parts: 3) == "ab-3")
    }

    /// A run's manifest (format 2) records each part's size and SHA-256 and the digest over them,
    /// no whole-stream SHA-256; the history's digest is the labelled composite; verify passes.
    @Test func manifestRecordsEachPart() async throws {
        let (store, config, key) = try await partsBackup()
        let bytes = try #require(store.bytes(of: key))
        let object = try #require(try manifest(store).objects.first)
        #expect(try manifest(store).formatVersion == 2)
        #expect(object.sha256 == nil && object.segments == nil)
        let parts = try #require(object.parts)
        #expect(parts.map(\.size) == [1 << 20, 1 << 20, Int64(bytes.count - (2 << 20))])
        let expected = [0, 1 << 20, 2 << 20].map { SHA256.hex(SHA256.hash(bytes[$0..<min(bytes.count, $0 + (1 << 20))])) }
        #expect(parts.map(\.sha256) == expected)
        #expect(object.partsSha256 == SHA256.composite(ofHex: expected))
        #expect(object.digest == "\(SHA256.composite(ofHex: expected))-3")
        let json = String(decoding: try #require(store.bytes(of: manifestKey)), as: UTF8.self)
        #expect(!json.contains("\"sha256\" : \"\(SHA256.hex(SHA256.hash(bytes)))\""))
        let report = try await verify(store, config)
        #expect(report.passed, "\(report.allProblems)")
        #expect(report.objects.first?.foundSha256 == object.digest)
    }

    /// One flipped byte in the second part fails verify, naming the object, the part, its byte
    /// range and both digests; the stream's digest then differs too.
    @Test func tamperedPartFailsVerify() async throws {
        let (store, config, key) = try await partsBackup()
        var bytes = try #require(store.bytes(of: key))
        let original = SHA256.hex(SHA256.hash(bytes[(1 << 20)..<(2 << 20)]))
        bytes[(1 << 20) + 12345] ^= 0x40
        store.replace(key: key, with: bytes)
        let found = SHA256.hex(SHA256.hash(bytes[(1 << 20)..<(2 << 20)]))
        let report = try await verify(store, config)
        #expect(!report.passed)
        #expect(
            report.allProblems.contains("\(key): part 2 (bytes 1048576-2097151): SHA-256 expected \(original) (manifest), found \(found)"),
            "\(report.allProblems)")
        #expect(report.allProblems.contains { $0.contains("SHA-256 expected") && $0.hasSuffix("-3") })
        #expect(!report.allProblems.contains { $0.contains("part 1 ") || $0.contains("part 3 ") })
    }

    /// A part digest changed in the manifest (the bytes intact) fails verify naming that part.
    @Test func wrongPartDigestFailsVerify() async throws {
        let (store, config, key) = try await partsBackup()
        let bogus = String(repeating: "0", count: 64)
        try editManifest(store) { json in
            var objects = json["objects"] as! [[String: Any]]
            var parts = objects[0]["parts"] as! [[String: Any]]
            parts[2]["sha256"] = bogus
            objects[0]["parts"] = parts
            json["objects"] = objects
        }
        let report = try await verify(store, config)
        #expect(!report.passed)
        #expect(report.allProblems.contains { $0.contains("\(key): part 3 (bytes 2097152-2499999): SHA-256 expected \(bogus) (manifest)") }, "\(report.allProblems)")
    }

    /// A truncated object fails verify naming the part cut short and the size.
    @Test func truncatedObjectFailsVerify() async throws {
        let (store, config, key) = try await partsBackup()
        let bytes = try #require(store.bytes(of: key))
        store.replace(key: key, with: Array(bytes.prefix(1_500_000)))
        let report = try await verify(store, config)
        #expect(report.allProblems.contains("\(key): part 2 (bytes 1048576-2097151): 451424 of its 1048576 bytes found; part 3 is missing"), "\(report.allProblems)")
        #expect(report.allProblems.contains("\(key): size expected 2500000 bytes (manifest), found 1500000 bytes"))
    }

    /// A restore of a backup with a tampered part fails loudly, naming the part, and writes nothing.
    @Test func restoreRefusesTamperedPart() async throws {
        let (store, config, key) = try await partsBackup()
        var bytes = try #require(store.bytes(of: key))
        bytes[bytes.count - 10] ^= 0x01
        store.replace(key: key, with: bytes)
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let target = tmp.path + "/out.tar"
        let error = try await #require(throws: RestoreError.self) {
            try await Restorer(stores: store, launcher: PosixProcessLauncher(), environment: testEnvironment)
                .restore(job: config.jobs[0], config: config, key: nil, options: RestoreOptions(target: target), logger: log)
        }
        #expect(error.description.contains("RESTORE FAILED, \(key) does not match its manifest"), "\(error)")
        #expect(error.description.contains("part "), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// A format 1 manifest (the whole stream's SHA-256, no parts) still parses and verifies, and a
    /// flipped byte still fails it with the whole-stream digests.
    @Test func formatOneManifestStillVerifies() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let config = try shellJob("head -c 1500000 /dev/urandom", compression: "none")
        let outcome = try await runJob(config, store: store)
        let key = try #require(outcome.objectKey)
        try editManifest(store) { $0["formatVersion"] = 1 }
        let object = try #require(try manifest(store).objects.first)
        #expect(try manifest(store).formatVersion == 1 && object.parts == nil)
        let bytes = try #require(store.bytes(of: key))
        #expect(object.sha256 == SHA256.hex(SHA256.hash(bytes)) && object.digest == object.sha256)
        let good = try await verify(store, config)
        #expect(good.passed, "\(good.allProblems)")
        var flipped = bytes
        flipped[7] ^= 0x01
        store.replace(key: key, with: flipped)
        let bad = try await verify(store, config)
        #expect(bad.allProblems.contains("\(key): SHA-256 expected \(SHA256.hex(SHA256.hash(bytes))) (manifest), found \(SHA256.hex(SHA256.hash(flipped)))"))
    }

    /// Parsing refuses a format 2 object whose parts do not cover its bytes, one with neither
    /// sha256 nor part digests, and a format 1 object without sha256, naming the JSON path.
    @Test func manifestsThatLeaveBytesUncoveredAreRefused() async throws {
        let (store, _, _) = try await partsBackup()
        let good = try #require(store.bytes(of: manifestKey))
        func refusal(_ change: (inout [String: Any]) -> Void) throws -> String {
            store.replace(key: manifestKey, with: good)
            try editManifest(store, change)
            do {
                _ = try manifest(store)
                return ""
            } catch {
                return "\(error)"
            }
        }
        func object(_ json: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
            var objects = json["objects"] as! [[String: Any]]
            change(&objects[0])
            json["objects"] = objects
        }
        let short = try refusal { json in object(&json) { $0["parts"] = Array(($0["parts"] as! [[String: Any]]).prefix(2)) } }
        #expect(short.contains("objects[0].parts") && short.contains("cover 2097152 bytes, but the object has 2500000"), "\(short)")
        let bare = try refusal { json in object(&json) { $0["parts"] = nil } }
        #expect(bare.contains("objects[0].parts") && bare.contains("missing"), "\(bare)")
        let old = try refusal { $0["formatVersion"] = 1 }
        #expect(old.contains("objects[0].sha256") && old.contains("format 1"), "\(old)")
    }
}
