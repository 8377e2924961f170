import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Object names", .ownThreads)
struct ObjectNameTests {
    /// `{prefix}/{job}-{UTC stamp}{ext}`, without a leading `/` when the prefix is empty.
    @Test(arguments: [
        ("pg/app", "app-db", ".dump.zst", "pg/app/app-db-20261125T023000Z.dump.zst"),
        ("", "app-db", ".sql.gz", "app-db-20261125T023000Z.sql.gz"),
        ("a", "cache", ".rdb", "a/cache-20261125T023000Z.rdb"),
    ])
    func names(prefix: String, job: String, suffix: String, expected: String) {
        #expect(ObjectName.make(prefix: prefix, job: job, time: pipelineStart, suffix: suffix) == expected)
    }

    /// Sub-second times are cut, not rounded up, and the stamp is UTC whatever the local zone.
    @Test func timestamp() {
        #expect(ObjectName.timestamp(Date(timeIntervalSince1970: 0.999)) == "19700101T000000Z")
        #expect(ObjectName.timestamp(Date(timeIntervalSince1970: 1_798_761_599)) == "20261231T235959Z")
    }

    /// A job's listing excludes a job whose name only starts the same ("app" vs "app-db").
    @Test func belongs() {
        #expect(ObjectName.belongs("p/app-20261125T023000Z.dump.zst", prefix: "p", job: "app"))
        #expect(!ObjectName.belongs("p/app-db-20261125T023000Z.dump.zst", prefix: "p", job: "app"))
        #expect(ObjectName.belongs("app-db-20261125T023000Z.dump.zst", prefix: "", job: "app-db"))
        #expect(!ObjectName.belongs("other/app-db-20261125T023000Z.dump", prefix: "", job: "app-db"))
    }
}
