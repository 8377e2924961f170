import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Object names with run tokens", .ownThreads)
struct ObjectNameTokenTests {
    /// Names carry the 8-hex run token; the manifest sits beside the data under the backup id.
    @Test func tokenNames() {
        #expect(ObjectName.make(prefix: "db", job: "app", time: pipelineStart, token: "3f9a1c2e", suffix: ".dump.zst")
            == "db/app-20261125T023000Z-3f9a1c2e.dump.zst")
        #expect(ObjectName.manifestKey(prefix: "db", backupID: "app-20261125T023000Z-3f9a1c2e") == "db/app-20261125T023000Z-3f9a1c2e.manifest.json")
        #expect(ObjectName.randomToken().range(of: "^[0-9a-f]{8}$", options: .regularExpression) != nil)
    }

    /// Two runs started in the same second get different names.
    @Test func sameSecondDiffers() {
        let tokens = Set((0..<50).map { _ in ObjectName.randomToken() })
        #expect(tokens.count == 50)
    }

    /// New and old (token-less) names parse to their backup id, time and suffix; segments and
    /// other jobs' names are told apart.
    @Test(arguments: [
        ("db/app-20261125T023000Z-3f9a1c2e.dump.zst", "app-20261125T023000Z-3f9a1c2e", "3f9a1c2e", ".dump.zst"),
        ("db/app-20261125T023000Z-3f9a1c2e.manifest.json", "app-20261125T023000Z-3f9a1c2e", "3f9a1c2e", ".manifest.json"),
        ("db/app-20261125T023000Z-3f9a1c2e.dump.zst.002", "app-20261125T023000Z-3f9a1c2e", "3f9a1c2e", ".dump.zst.002"),
        ("db/app-20261125T023000Z.dump.zst", "app-20261125T023000Z", nil, ".dump.zst"),
    ] as [(String, String, String?, String)])
    func parse(key: String, id: String, token: String?, suffix: String) throws {
        let parsed = try #require(ObjectName.parse(key, prefix: "db", job: "app"))
        #expect(parsed.backupID == id)
        #expect(parsed.token == token)
        #expect(parsed.suffix == suffix)
        #expect(parsed.time == pipelineStart)
    }

    /// A job whose name only starts the same is not this job's backup.
    @Test func otherJob() {
        #expect(ObjectName.parse("db/app-db-20261125T023000Z-3f9a1c2e.dump", prefix: "db", job: "app") == nil)
    }
}
