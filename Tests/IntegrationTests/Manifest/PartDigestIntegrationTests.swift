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

@Suite("Part digests end to end on radosgw (the real binary)", .ownThreads)
struct PartDigestIntegrationTests {
    /// `run-now` of a 12 MB command job (no compression) into radosgw writes a format 2 manifest
    /// whose part digests match the stored object's 5 MiB parts as the AWS CLI reads them; verify
    /// passes and restore writes the same bytes back. One part's bytes altered in the bucket
    /// (re-uploaded with the AWS CLI) fail verify, naming the object, the part and its byte range,
    /// and restore refuses it.
    @Test func runNowVerifiesRestoresAndCatchesAlteredPart() async throws {
        let s3 = try TestS3.environment()
        let destination = try await TestDestination.make()
        let state = temporaryStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let input = state + "-input"
        let output = state + "-restored"
        defer { for path in [input, output] { try? FileManager.default.removeItem(atPath: path) } }
        let length = 12_000_000
        try Data(PatternSource.bytes(length: length, seed: 7)).write(to: URL(fileURLWithPath: input))
        let prefix = "parts/\(TestServers.uniqueName())"
        let job: [String: Any] = [
            "name": "files", "engine": "command", "schedule": "0 3 * * *", "destination": "test", "prefix": prefix, "compression": "none",
            "connection": ["argv": ["cat", input], "restoreArgv": ["sh", "-c", "cat > \(output)"], "extension": "bin"],
        ]
        let configPath = state + ".json"
        try JSONSerialization.data(withJSONObject: ["stateDirectory": state, "destinations": [destination.json], "jobs": [job]])
            .write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        func backupd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try runBackupd(arguments + ["--config", configPath], environment: Pipeline.defaultEnvironment, timeout: 120)
        }

        let run = try backupd(["run-now", "files"])
        #expect(run.status == 0, "\(run.stderr)")
        let bucket = destination.json["bucket"] as! String
        let manifestKey = try #require(try await destination.store.list(prefix: prefix + "/").map(\.key).first { $0.hasSuffix(".manifest.json") })
        let manifest = try s3.cliManifest(bucket: bucket, key: manifestKey)
        let object = try #require(manifest.primary)
        #expect(manifest.formatVersion == 2 && object.sha256 == nil)
        let sizes = try #require(object.parts).map(\.size)
        #expect(sizes == [5 << 20, 5 << 20, Int64(length - (10 << 20))])
        let stored = try s3.cliBytes(bucket: bucket, key: object.key)
        #expect(stored == PatternSource.bytes(length: length, seed: 7))
        #expect(ExpectedDigest.byParts(stored, sizes: sizes) == object.digest)
        #expect(run.stdout.contains("sha256   \(object.digest)"), "\(run.stdout)")
        let history = try HistoryStore(stateDirectory: state, readOnly: true)
        #expect(try history.runs().first?.sha256 == object.digest)

        let verified = try backupd(["verify", "files"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let restored = try backupd(["restore", "files"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: output))) == stored)
        try? FileManager.default.removeItem(atPath: output)

        // Part 2 (bytes 5242880-10485759) altered in the bucket; the object is re-uploaded whole.
        let expectedPart = try #require(object.parts?[1].sha256)
        var altered = stored
        altered[(5 << 20) + 777] ^= 0xFF
        let found = SHA256.hex(SHA256.hash(altered[(5 << 20)..<(10 << 20)]))
        try s3.rewrite(bucket: bucket, key: object.key) { $0 = altered }
        let failed = try backupd(["verify", "files"])
        #expect(failed.status == 1)
        #expect(
            failed.stdout.contains("problem: \(object.key): part 2 (bytes 5242880-10485759): SHA-256 expected \(expectedPart) (manifest), found \(found)"),
            "\(failed.stdout)")
        #expect(!failed.stdout.contains("part 1 ") && !failed.stdout.contains("part 3 "), "\(failed.stdout)")
        let refused = try backupd(["restore", "files"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("does not match its manifest") && refused.stderr.contains("part 2 (bytes 5242880-10485759)"), "\(refused.stderr)")
    }
}
