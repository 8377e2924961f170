import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Command round trip", .ownThreads)
struct CommandRoundTripTests {
    /// A tarball of a directory (tar to stdout) comes back through restoreArgv (tar from stdin) byte for byte.
    @Test func tarRoundTrip() async throws {
        let tmp = FileManager.default.temporaryDirectory.path + "/backupd-cmd-\(UUID().uuidString)"
        let data = tmp + "/data"
        let out = tmp + "/out"
        try FileManager.default.createDirectory(atPath: data + "/nested", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let random = randomData(12 << 20)
        try random.write(to: URL(fileURLWithPath: data + "/random.bin"))
        try Data("naïve ünïcode ✓\n".utf8).write(to: URL(fileURLWithPath: data + "/nested/text.txt"))

        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "cmd-\(TestServers.uniqueName())", job: [
            "engine": "command",
            "connection": ["argv": ["tar", "-C", data, "-cf", "-", "."], "restoreArgv": ["tar", "-C", out, "-xf", "-"], "extension": "tar"],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        #expect(outcome.objectKey?.hasSuffix(".tar.zst") == true)
        _ = try await pipeline.restore(options: RestoreOptions())
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/random.bin")) == random)
        #expect(try String(contentsOfFile: out + "/nested/text.txt", encoding: .utf8) == "naïve ünïcode ✓\n")
    }
}
