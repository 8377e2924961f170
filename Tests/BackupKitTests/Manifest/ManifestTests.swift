import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A manifest like the runner writes, for parse tests.
func sampleManifest() -> BackupManifest {
    BackupManifest(
        backupId: "app-20261125T023000Z-0123abcd", job: "app", engine: "postgres", host: "db1", trigger: "schedule", runId: 7,
        startedAt: pipelineStart, endedAt: pipelineStart + 42, tool: .init(name: "pg_dump", version: "15.4"), serverVersion: "15.4",
        backupd: .init(name: "backupd", version: BackupKit.version), compression: "zstd", encryption: nil, destination: "local",
        bucket: "backups", copies: [],
        objects: [
            .init(
                role: "dump", key: "pg/app-20261125T023000Z-0123abcd.dump.zst", tool: "pg_dump", size: 12, sha256: String(repeating: "a", count: 64),
                partSize: 5 << 20, partCount: 1, etag: "\"e\""),
        ])
}

@Suite("Manifest", .ownThreads)
struct ManifestTests {
    /// Encoding then parsing gives the same manifest; null fields (encryption) and empty lists
    /// (copies) are written out, times are ISO 8601 UTC.
    @Test func roundTrip() throws {
        let manifest = sampleManifest()
        let bytes = try manifest.encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"encryption\" : null"))
        #expect(text.contains("\"copies\" : ["))
        #expect(text.contains("\"startedAt\" : \"2026-11-25T02:30:00Z\""))
        #expect(try BackupManifest.parse(bytes, key: "k") == manifest)
    }

    /// A manifest from a newer backupd is refused with both versions named.
    @Test func newerVersionRefused() throws {
        var manifest = sampleManifest()
        manifest.formatVersion = 3
        let error = try #require(throws: ManifestError.self) { try BackupManifest.parse(try manifest.encoded(), key: "p/x.manifest.json") }
        #expect(error == .unsupportedVersion(key: "p/x.manifest.json", found: 3, supported: 2))
        #expect(error.description.contains("format version 3; this backupd reads versions 1 to 2"))
    }

    /// Bad input names the manifest, the JSON path and what is wrong.
    @Test(arguments: [
        (#"{"formatVersion": 1, "job": "x"}"#, "at backupId"),
        (#"{"job": "x"}"#, "at formatVersion: missing"),
        ("not json", "not valid JSON"),
    ])
    func malformed(text: String, expected: String) throws {
        let error = try #require(throws: ManifestError.self) { try BackupManifest.parse(Array(text.utf8), key: "m.json") }
        #expect(error.description.contains("manifest m.json is unreadable"), "\(error)")
        #expect(error.description.contains(expected), "\(error)")
    }

    /// A digest that is not 64 lower-case hex digits is refused at its path.
    @Test func badDigest() throws {
        var manifest = sampleManifest()
        manifest.objects[0].sha256 = "XYZ"
        let error = try #require(throws: ManifestError.self) { try BackupManifest.parse(try manifest.encoded(), key: "m") }
        #expect(error.description.contains("at objects[0].sha256"))
    }

    /// Segments are read in order as one stream; without segments the object is its own piece.
    @Test func pieces() {
        var object = sampleManifest().objects[0]
        #expect(object.pieces.map(\.key) == [object.key])
        object.segments = [
            .init(key: object.key + ".001", size: 6, sha256: String(repeating: "b", count: 64), partSize: 1, partCount: 1, etag: ""),
            .init(key: object.key + ".002", size: 6, sha256: String(repeating: "c", count: 64), partSize: 1, partCount: 1, etag: ""),
        ]
        #expect(object.pieces.map(\.key) == [object.key + ".001", object.key + ".002"])
    }
}
