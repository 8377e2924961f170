import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Backups from object names", .ownThreads)
struct NameCatalogTests {
    /// Objects group by backup id; the manifest makes a backup complete; segments and globals
    /// belong to their backup; token-less legacy names are complete backups of their own; a
    /// neighbouring job (`app-old`), a stranger and malformed names are left out.
    @Test func grouping() {
        let keys = [
            "db/app-20261130T020000Z-0a1b2c3d.dump.zst.001", "db/app-20261130T020000Z-0a1b2c3d.dump.zst.002",
            "db/app-20261130T020000Z-0a1b2c3d.globals.sql.zst", "db/app-20261130T020000Z-0a1b2c3d.manifest.json",
            "db/app-20261201T020000Z-ffffffff.dump.zst.age",
            "db/app-20251201T020000Z.dump.zst", "db/app-20251201T020000Z.globals.sql.zst",
            "db/app-old-20261130T020000Z-0a1b2c3d.dump.zst", "db/app-old-20261130T020000Z-0a1b2c3d.manifest.json",
            "db/notes.txt", "db/app-20261330T020000Z.dump.zst", "db/app-20261130T020000Z-0A1B2C3D.dump.zst",
            "db/app-20261130T020000Zjunk", "other/app-20261130T020000Z.dump.zst",
        ]
        let backups = NameCatalog.group(keys, prefix: "db", job: "app")
        #expect(backups.map(\.id) == ["app-20251201T020000Z", "app-20261130T020000Z-0a1b2c3d", "app-20261201T020000Z-ffffffff"])
        #expect(backups.map(\.isComplete) == [true, true, false])
        #expect(backups[0].legacy && backups[0].dataKeys == ["db/app-20251201T020000Z.dump.zst", "db/app-20251201T020000Z.globals.sql.zst"])
        #expect(backups[1].manifestKey == "db/app-20261130T020000Z-0a1b2c3d.manifest.json")
        #expect(backups[1].dataKeys.count == 3)
        #expect(backups[1].allKeys.first == backups[1].manifestKey)
        #expect(backups[1].time == RetentionFixtures.at("2026-11-30T02:00:00Z"))
        #expect(NameCatalog.backupID(of: "db/app-old-20261130T020000Z-0a1b2c3d.dump.zst", prefix: "db", job: "app") == nil)
        #expect(NameCatalog.backupID(of: "db/app-old-20261130T020000Z-0a1b2c3d.dump.zst", prefix: "db", job: "app-old") == "app-old-20261130T020000Z-0a1b2c3d")
    }

    /// Without a prefix, names start at the bucket's root.
    @Test func emptyPrefix() {
        let backups = NameCatalog.group(["app-20261130T020000Z-0a1b2c3d.manifest.json", "app-20261130T020000Z-0a1b2c3d.dump.zst", "x/app-20261130T020000Z.dump.zst"], prefix: "", job: "app")
        #expect(backups.count == 1 && backups[0].isComplete && backups[0].dataKeys == ["app-20261130T020000Z-0a1b2c3d.dump.zst"])
    }
}
