import BackupTestSupport
import Foundation
import Glibc
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Segments across a backup's life: their names, a crash in the middle of one, and the clean-up
/// of the segments a crash leaves without a manifest.
@Suite("Segment lifecycle", .timeLimit(.minutes(4)), .ownThreads)
struct SegmentLifecycleTests {
    /// An expected size beyond what one object can hold numbers the stream from `.001`; when it
    /// then fits one object, the manifest still names `.001` and the backup restores byte-identical.
    @Test func predictedSegmentsStartAtOneAndRestore() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-seg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = randomData(8 << 20)
        try data.write(to: URL(fileURLWithPath: directory + "/data.bin"))
        let base = try await TestDestination.make()
        var json = base.json
        // Growing parts of 5, 10, 20 MiB: one object holds 35 MiB, so 100 MiB expected means segments.
        json["maxParts"] = 3
        let destination = TestDestination(provider: base.provider, store: base.store, json: json)
        let pipeline = try Pipeline(destination: destination, name: "pred", job: [
            "engine": "command", "compression": "none", "expectedSize": "100MiB",
            "connection": ["argv": ["cat", directory + "/data.bin"], "extension": ".bin"],
        ])
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let key = try #require(outcome.objectKey)
        let keys = try await base.store.list(prefix: "it/pred/").map(\.key)
        let id = try #require(ObjectName.parse(key, prefix: "it/pred", job: "pred")?.backupID)
        #expect(keys == [key + ".001", ObjectName.manifestKey(prefix: "it/pred", backupID: id)], "\(keys)")
        let entry = try await #require(try BackupCatalog(store: base.store, job: pipeline.job).latest())
        #expect(entry.manifest?.objects.first?.pieces.map(\.key) == [key + ".001"])
        let restored = directory + "/restored.bin"
        _ = try await pipeline.restore(options: RestoreOptions(target: restored))
        #expect(FileManager.default.contents(atPath: restored) == data)
    }

    /// SIGKILL while the second segment uploads: the history row names the stream and the open
    /// segment's upload, the next start aborts that upload (under its `.002` key), `list --all`
    /// shows the completed first segment as an incomplete backup, and retention removes it once
    /// stale, as it removes a crash's `.001`/`.002` pair.
    @Test func crashMidSegmentIsAbortedListedAndPruned() async throws {
        let s3 = try TestS3.environment()
        let client = try await s3.makeBucket("segcrash")
        let bucket = client.settings.bucket
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-segcrash-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configPath = directory + "/config.json"
        let environment = ["SEG_ACCESS_KEY": s3.accessKey, "SEG_SECRET_KEY": s3.secretKey]
        func writeConfig(schedule: String) throws {
            // maxParts 3 of 5, 10, 20 MiB: the 40 MiB stream needs a second segment.
            let text = """
                {"stateDirectory": "\(directory)/state",
                 "destinations": [{"name": "local", "endpoint": "\(s3.endpoint.absoluteString)", "region": "\(s3.region)",
                   "bucket": "\(bucket)", "accessKeyId": {"env": "SEG_ACCESS_KEY"}, "secretAccessKey": {"env": "SEG_SECRET_KEY"},
                   "partSizeMiB": 5, "maxParts": 3, "partsInFlight": 1}],
                 "jobs": [{"name": "crash", "engine": "command", "schedule": "\(schedule)", "destination": "local", "prefix": "seg/crash",
                   "catchUp": "none", "compression": "none", "timeout": "10m",
                   "connection": {"argv": ["/bin/sh", "-c", "head -c 41943040 /dev/urandom; exec sleep 100"], "extension": ".bin"}}]}
                """
            try text.write(toFile: configPath, atomically: true, encoding: .utf8)
            chmod(configPath, 0o600)
        }
        try writeConfig(schedule: "* * * * *")
        let store = try S3StoreProvider(logger: Logger(label: "it.seg")).store(for: s3.destination(bucket: bucket))
        let history = { try HistoryStore(stateDirectory: directory + "/state") }

        let first = try DaemonProcess(configPath: configPath, directory: directory, environment: environment)
        defer { first.cleanUp() }
        var open: OpenUpload?
        var running: RunRecord?
        _ = try await poll(timeout: 150) {
            open = try await store.openUploads(prefix: "seg/crash/").first { $0.key.hasSuffix(".bin.002") }
            running = try history().runningRuns().first { $0.job == "crash" }
            return open != nil && running?.uploadID == open?.uploadID
        }
        let segment = try #require(open, "no second segment started; log:\n\(first.log)")
        let run = try #require(running)
        let streamKey = String(segment.key.dropLast(".002".count))
        #expect(run.objectKey == streamKey)
        first.send(SIGKILL)
        _ = await first.waitForExit(timeout: 10)
        await #expect(try store.head(key: streamKey)?.size == 35 << 20, "the first segment is complete under the plain key")

        try writeConfig(schedule: "0 0 1 1 *")
        let second = try DaemonProcess(configPath: configPath, directory: directory, environment: environment)
        defer { second.cleanUp() }
        _ = try await poll(timeout: 30) { try history().run(id: run.id)?.uploadID == nil }
        let record = try #require(try history().run(id: run.id))
        #expect(record.status == .interrupted, "log:\n\(second.log)")
        // The run is recorded interrupted first; its upload is aborted next, from the pending-abort ledger.
        let aborted = try await poll(timeout: 30) {
            try await store.openUploads(prefix: "seg/crash/").isEmpty && second.log.contains("aborted the upload of an interrupted run")
        }
        #expect(aborted, "the open segment's upload is still billed; log:\n\(second.log)")
        second.send(SIGTERM)
        #expect(await second.waitForExit(timeout: 60) == 0)

        // A crash's pair of numbered segments from a month ago, without a manifest.
        let old = "seg/crash/crash-20261101T000000Z-0000abcd.bin"
        for key in [old + ".001", old + ".002"] {
            _ = try await S3Client.withBody(Array("segment".utf8)) { try await client.putObject(key: key, body: $0, metadata: [:]) }
        }
        let listed = try runBackupd(["list", "crash", "--all", "--config", configPath], environment: environment, timeout: 60)
        #expect(listed.status == 0, "\(listed.stderr)")
        let crashID = try #require(ObjectName.parse(streamKey, prefix: "seg/crash", job: "crash")?.backupID)
        for id in [crashID, "crash-20261101T000000Z-0000abcd"] {
            let line = listed.stdout.split(separator: "\n").first { $0.contains(id) }
            #expect(line?.contains("incomplete") == true, "\(id) not listed as incomplete:\n\(listed.stdout)")
        }

        let sources = ConfigSources(environment: environment, readFile: { _ in [] }, permissions: { _ in 0o600 }, isReadable: { _ in true })
        let config = try BackupConfig.parse(Array(try String(contentsOfFile: configPath, encoding: .utf8).utf8), file: configPath, sources: sources).config
        let later = Date().addingTimeInterval(2 * 3600 + 600)
        let report = try await Pruner(stores: S3StoreProvider(logger: Logger(label: "it.seg")), history: nil, clock: ManualWallClock(later))
            .prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "it.seg"))
        #expect(report.plan.staleIncomplete.count == 2, "\(report)")
        await #expect(try store.list(prefix: "seg/crash/").isEmpty)
    }
}
