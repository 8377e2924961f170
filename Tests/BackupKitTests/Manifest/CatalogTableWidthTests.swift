import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("backupd list's table within a terminal's width", .ownThreads)
struct CatalogTableWidthTests {
    static let entries = (1...3).map { day in
        CatalogEntry(
            id: "app-db-2026120\(day)T091500Z-3f9a1c2\(day)", time: Date(timeIntervalSince1970: 1_796_000_000 + Double(day) * 86_400),
            state: .incomplete, manifestKey: nil, manifest: nil,
            objects: [StoredObject(key: "db/app-db-2026120\(day)T091500Z-3f9a1c2\(day).dump.zst", size: 1_900, lastModified: nil, etag: nil)])
    }

    /// Without a width the table keeps every column; in a narrow terminal the objects, compression
    /// and SHA-256 columns go first and every backup id stays whole on its line.
    @Test func narrowTerminalDropsColumnsBeforeTheBackupID() {
        let full = CatalogRenderer.table(Self.entries, verifications: [:])
        #expect(full.contains("OBJECTS") && full.contains("COMPRESSION") && full.contains("SHA256"))
        let fullWidth = full.split(separator: "\n").map(\.count).max() ?? 0
        let narrow = CatalogRenderer.table(Self.entries, verifications: [:], width: fullWidth - 10)
        #expect(!narrow.contains("OBJECTS"))
        #expect(narrow.split(separator: "\n").allSatisfy { $0.count <= fullWidth - 10 }, "\(narrow)")
        for entry in Self.entries {
            #expect(narrow.contains(entry.id + " (incomplete)"), "\(narrow)")
        }
        #expect(CatalogRenderer.table(Self.entries, verifications: [:], width: fullWidth) == full)
    }

    /// A terminal too narrow even for the essential columns cuts the rows behind `…`, never wider.
    @Test func tinyTerminalCutsRows() {
        let text = CatalogRenderer.table(Self.entries, verifications: [:], width: 40)
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 40 }, "\(text)")
        #expect(text.contains("…"))
    }
}
