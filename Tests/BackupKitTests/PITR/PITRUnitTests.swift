import Foundation
import Logging
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A one-member ustar archive builder for the base backup check.
private func tarMember(_ name: String, _ content: [UInt8]) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 512)
    func put(_ text: String, _ offset: Int) { for (i, byte) in text.utf8.enumerated() { header[offset + i] = byte } }
    put(name, 0)
    put("0000600", 100)
    func octal(_ value: Int, _ width: Int) -> String {
        let text = String(value, radix: 8)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    put(octal(content.count, 11), 124)
    put("00000000000", 136)
    header[156] = UInt8(ascii: "0")
    put("ustar", 257)
    put("00", 263)
    for i in 148..<156 { header[i] = 32 }
    let sum = header.reduce(0) { $0 + Int($1) }
    put(octal(sum, 6), 148)
    header[154] = 0
    let padding = (512 - content.count % 512) % 512
    return header + content + [UInt8](repeating: 0, count: padding)
}

private let label = Array("""
    START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
    CHECKPOINT LOCATION: 0/2000060
    START TIME: 2026-12-07 00:45:00 UTC
    START TIMELINE: 1

    """.utf8)
private let walRanges = Array(#"{"PostgreSQL-Backup-Manifest-Version": 1, "WAL-Ranges": [{ "Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "0/2000100" }], "Manifest-Checksum": "x"}"#.utf8)

private func inspect(_ bytes: [UInt8]) -> (String?, BaseBackupInfo?) {
    let inspector = BaseBackupInspector()
    bytes.withUnsafeBytes { inspector.write($0) }
    return (inspector.finish(tool: "pg_basebackup"), inspector.info)
}

/// A WAL store in memory that records what was created.
private final class MemoryWALStore: WALStore {
    let objects = Mutex<[String: ([UInt8], [String: String])]>([:])
    /// Objects written, in all.
    let created = Atomic<Int>(0)
    func create(key: String, body: [UInt8], metadata: [String: String]) async throws {
        try objects.withLock {
            if $0[key] != nil { throw ObjectStoreError.alreadyExists(key: key) }
            $0[key] = (body, metadata)
        }
        created.add(1, ordering: .relaxed)
    }
    func head(key: String) async throws -> StoredObject? {
        objects.withLock { $0[key].map { StoredObject(key: key, size: Int64($0.0.count), lastModified: nil, etag: nil, metadata: $0.1) } }
    }
    func read(key: String) async throws -> [UInt8]? { objects.withLock { $0[key]?.0 } }
}

/// A WAL store whose every request fails, as an unreachable endpoint's would.
private struct UnreachableWALStore: WALStore {
    struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }
    func create(key: String, body: [UInt8], metadata: [String: String]) async throws { throw Down() }
    func head(key: String) async throws -> StoredObject? { throw Down() }
    func read(key: String) async throws -> [UInt8]? { throw Down() }
}

@Suite("PITR pieces", .ownThreads)
struct PITRUnitTests {
    /// A complete base backup tar passes and yields the label's start and the manifest's stop.
    @Test func baseBackupTarPasses() throws {
        let tar = tarMember("global/pg_control", [1, 2, 3]) + tarMember("backup_label", label) + tarMember("backup_manifest", walRanges) + [UInt8](repeating: 0, count: 1024)
        let (problem, info) = inspect(tar)
        #expect(problem == nil)
        #expect(info == BaseBackupInfo(
            startLSN: LSN(0x2000028), startWALFile: "000000010000000000000002", timeline: 1, startTime: "2026-12-07 00:45:00 UTC",
            stopLSN: LSN(0x2000100), stopTimeline: 1))
    }

    /// Truncation, a damaged header, a missing member or a tablespace map are each named.
    @Test(arguments: [
        ("truncated", "lacks its end-of-archive blocks"),
        ("damaged", "checksum does not match"),
        ("no label", "has no backup_label"),
        ("tablespaces", "tablespaces outside its data directory"),
    ])
    func baseBackupTarProblems(fault: String, fragment: String) {
        let good = tarMember("global/pg_control", [1]) + tarMember("backup_label", label) + tarMember("backup_manifest", walRanges)
        var tar: [UInt8]
        switch fault {
        case "truncated": tar = good
        case "damaged": tar = good + [UInt8](repeating: 0, count: 1024); tar[10] ^= 0x41
        case "no label": tar = tarMember("global/pg_control", [1]) + tarMember("backup_manifest", walRanges) + [UInt8](repeating: 0, count: 1024)
        default: tar = tarMember("tablespace_map", Array("16385 /srv/ts\n".utf8)) + good + [UInt8](repeating: 0, count: 1024)
        }
        let (problem, _) = inspect(tar)
        #expect(problem?.contains(fragment) == true, "\(problem ?? "nil")")
    }

    /// Names PostgreSQL archives map to keys by timeline; anything else is refused.
    @Test(arguments: [
        ("000000010000000000000002", "p/j/wal/00000001/000000010000000000000002.zst"),
        ("00000002.history", "p/j/wal/00000002/00000002.history.zst"),
        ("000000010000000000000002.00000028.backup", "p/j/wal/00000001/000000010000000000000002.00000028.backup.zst"),
        ("000000020000000000000003.partial", "p/j/wal/00000002/000000020000000000000003.partial.zst"),
    ])
    func walNames(name: String, key: String) throws {
        #expect(try #require(WALFileName(name)).key(prefix: "p", job: "j", encrypted: false) == key)
    }

    /// Path tricks and other names are not WAL file names.
    @Test(arguments: ["../etc/passwd", "00000001000000000000000", "000000010000000000000002.zst", "00000000.history", "0000000100000000000000g2", ""])
    func badWALNames(name: String) { #expect(WALFileName(name) == nil) }

    /// LSNs parse, print and name their segment.
    @Test func lsnSegments() throws {
        let lsn = try #require(LSN("1/2A000028"))
        #expect(lsn.description == "1/2A000028")
        #expect(lsn.segmentName(timeline: 1) == "00000001000000010000002A")
        #expect(LSN("x/1") == nil && LSN("1") == nil)
    }

    /// A second push of the same file succeeds, other content under its name fails and the stored
    /// file stays; a fetch returns the file checked against its digest.
    @Test func pushRePushAndMismatch() async throws {
        let config = try BackupConfig.load(path: "/c", sources: { var f = FakeFiles(); f.files["/c"] = configText(); return f.sources }()).config
        let store = MemoryWALStore()
        let archive = WALArchive(job: config.jobs[0], store: store, launcher: PosixProcessLauncher(), environment: [:])
        let name = try #require(WALFileName("000000010000000000000005"))
        let segment = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try await archive.push(name: name, contents: segment) == .stored(key: "pg/app/app-db/wal/00000001/000000010000000000000005.zst"))
        #expect(try await archive.push(name: name, contents: segment) == .alreadyArchived(key: "pg/app/app-db/wal/00000001/000000010000000000000005.zst"))
        var other = segment
        other[7] ^= 1
        await #expect(throws: WALError.self) { try await archive.push(name: name, contents: other) }
        #expect(try await archive.fetch(name: name, identity: nil) == segment)
        await #expect(throws: WALError.notFound(job: "app-db", name: "000000010000000000000006")) {
            try await archive.fetch(name: WALFileName("000000010000000000000006")!, identity: nil)
        }
    }

    /// A receiver for a PITR job whose every destination is `store`.
    private func receiver(_ store: MemoryWALStore) throws -> WALReceiver {
        let text = configText { root in editJob(&root) { $0["pitr"] = ["archiveUser": "root"] } }
        let config = try BackupConfig.load(path: "/c", sources: { var f = FakeFiles(); f.files["/c"] = text; return f.sources }()).config
        return WALReceiver(
            configs: ConfigStore(path: "/c", config: config), launcher: PosixProcessLauncher(), environment: [:],
            logger: Logger(label: "test"), makeStore: { _ in store })
    }

    /// A segment sent ahead is stored at once; its push with the same bytes is answered from a
    /// HEAD (nothing written twice); a push whose bytes differ fails loudly as any mismatch does.
    @Test func segmentSentAheadIsConfirmedByTheBucket() async throws {
        let store = MemoryWALStore()
        let receiver = try receiver(store)
        let segment = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        await receiver.storeAhead(job: "app-db", name: "000000010000000000000005", contents: segment, peerUID: 0)
        #expect(store.created.load(ordering: .relaxed) == 1)
        let answer = try await receiver.receive(job: "app-db", name: "000000010000000000000005", contents: segment, peerUID: 0)
        #expect(answer == "stored pg/app/app-db/wal/00000001/000000010000000000000005.zst at local", "\(answer)")
        #expect(store.created.load(ordering: .relaxed) == 1)

        await receiver.storeAhead(job: "app-db", name: "000000010000000000000006", contents: segment, peerUID: 0)
        var other = segment
        other[3] ^= 1
        await #expect(throws: WALError.self) {
            try await receiver.receive(job: "app-db", name: "000000010000000000000006", contents: other, peerUID: 0)
        }
    }

    /// A segment sent ahead and then deleted from the bucket is not reported as stored from
    /// memory: its push finds it missing and stores it again.
    @Test func segmentSentAheadButDeletedIsStoredAgain() async throws {
        let store = MemoryWALStore()
        let receiver = try receiver(store)
        let segment = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        await receiver.storeAhead(job: "app-db", name: "000000010000000000000007", contents: segment, peerUID: 0)
        let key = "pg/app/app-db/wal/00000001/000000010000000000000007.zst"
        #expect(store.objects.withLock { $0.removeValue(forKey: key) } != nil)
        let answer = try await receiver.receive(job: "app-db", name: "000000010000000000000007", contents: segment, peerUID: 0)
        #expect(answer == "stored \(key) at local", "\(answer)")
        #expect(store.created.load(ordering: .relaxed) == 2)
        #expect(store.objects.withLock { $0[key] } != nil)
    }

    /// Only WAL segments of a PITR job, from its archive user, are taken ahead: a history file,
    /// an unknown job or another user's segment is not stored.
    @Test func onlySegmentsAreTakenAhead() async throws {
        let store = MemoryWALStore()
        let receiver = try receiver(store)
        await receiver.storeAhead(job: "app-db", name: "00000002.history", contents: [1], peerUID: 0)
        await receiver.storeAhead(job: "nope", name: "000000010000000000000008", contents: [1], peerUID: 0)
        await receiver.storeAhead(job: "app-db", name: "000000010000000000000008", contents: [1], peerUID: 4242)
        #expect(store.created.load(ordering: .relaxed) == 0)
        #expect(receiver.ahead.count == 0)
    }

    /// wal-fetch calls a file missing only when every destination says so: an unreachable
    /// destination or a corrupt copy is passed over for the next one that has the file whole, and
    /// when none gives it and one could not answer, the fetch fails as `fetchFailed` naming it
    /// (wal-fetch then stops recovery), never as `notFound` (which would end recovery early).
    @Test func fetchProvesAbsenceAtEveryDestination() async throws {
        let text = configText { root in
            addArchiveDestination(&root)
            editJob(&root) {
                $0["pitr"] = ["archiveUser": "root"]
                $0["destination"] = nil
                $0["destinations"] = ["local", "archive"]
            }
        }
        let config = try BackupConfig.load(path: "/c", sources: { var f = FakeFiles(); f.files["/c"] = text; return f.sources }()).config
        let job = config.jobs[0]
        let segment = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 11) }
        let name = "000000010000000000000009"
        let good = MemoryWALStore()
        _ = try await WALArchive(job: job, store: good, launcher: PosixProcessLauncher(), environment: [:]).push(name: WALFileName(name)!, contents: segment)
        let corrupt = MemoryWALStore()
        let key = "pg/app/app-db/wal/00000001/\(name).zst"
        try await corrupt.create(key: key, body: Array("not zstd".utf8), metadata: [:])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fetch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func fetch(local: any WALStore, far: any WALStore, to file: String) async throws {
            let fetcher = WALFetcher(launcher: PosixProcessLauncher(), environment: [:], logger: Logger(label: "t")) { $0.name == "local" ? local : far }
            try await fetcher.fetch(job: job, config: config, name: name, to: directory + "/" + file, identity: nil)
        }

        try await fetch(local: UnreachableWALStore(), far: good, to: "a")
        #expect(FileManager.default.contents(atPath: directory + "/a") == Data(segment))
        try await fetch(local: corrupt, far: good, to: "b")
        #expect(FileManager.default.contents(atPath: directory + "/b") == Data(segment))
        await #expect(throws: WALError.notFound(job: "app-db", name: name)) {
            try await fetch(local: MemoryWALStore(), far: MemoryWALStore(), to: "c")
        }
        do {
            try await fetch(local: MemoryWALStore(), far: UnreachableWALStore(), to: "d")
            Issue.record("a fetch with a destination that could not answer succeeded")
        } catch WALError.fetchFailed(_, _, let destination, let detail) {
            #expect(destination == "archive" && detail.contains("connection refused"), "\(detail)")
        }
        do {
            try await fetch(local: corrupt, far: MemoryWALStore(), to: "e")
            Issue.record("a fetch of a corrupt copy succeeded")
        } catch WALError.fetchFailed(_, _, let destination, let detail) {
            #expect(destination == "local" && detail.contains("does not hold a good WAL file"), "\(detail)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/c") && !FileManager.default.fileExists(atPath: directory + "/d"))
    }

    /// `--time` needs a zone and becomes a UTC recovery_target_time.
    @Test func recoveryTimes() throws {
        let date = try #require(RecoveryTarget.parseTime("2026-12-06 12:00:00+01:00"))
        #expect(RecoveryTarget.time(date).settings.first?.1 == "2026-12-06 11:00:00.000000+00")
        #expect(RecoveryTarget.parseTime("2026-12-06 12:00:00") == nil)
        #expect(RecoveryTarget.parseTime("2026-12-06T11:00:00.250Z") != nil)
    }
}
