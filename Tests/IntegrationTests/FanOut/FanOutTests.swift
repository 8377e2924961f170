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

/// A fan-out job run through the real `backupd` binary against two radosgw buckets.
struct FanOutFixture {
    let s3: TestS3
    let state: String
    let configPath: String
    let counter: String
    let dumpFile: String
    let dump: [UInt8]
    let buckets: [String: String]
    let clients: [String: S3Client]
    let prefix = "fan/app"

    /// Two destinations `a` and `b` (fresh buckets; `b` optionally through `bPort`, with `bSecret`, or
    /// retrying failed requests for `bRetryFor` instead of the default five minutes), and a command job
    /// `app` whose tool appends a line to a counter file and prints `dumpBytes` random bytes.
    /// `encryptTo` encrypts the job's backups to that age recipient.
    /// `bAccessKey` signs `b`'s requests with another user's key (with `bSecret`); `stall` makes
    /// the tool stall after its bytes instead of exiting, so the run stays mid-upload; `jobKeys`
    /// are added to the job (e.g. `notify`).
    init(
        dumpBytes: Int, bPort: Int? = nil, bSecret: String? = nil, bAccessKey: String? = nil, bRetryFor: String? = nil, encryptTo: String? = nil,
        generated: Bool = false, stall: Bool = false, jobKeys: [String: Any] = [:]
    ) async throws {
        s3 = try TestS3.environment()
        self.bSecret = bSecret ?? s3.secretKey
        state = FileManager.default.temporaryDirectory.path + "/backupd-fanout-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        configPath = state + "/config.json"
        counter = state + "/counter"
        dumpFile = state + "/dump.bin"
        // Random bytes: zstd cannot shrink them, so the upload is as long as the dump.
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        let bytes = Array(generated ? Data() : random.readData(ofLength: dumpBytes))
        try random.close()
        dump = bytes
        FileManager.default.createFile(atPath: dumpFile, contents: Data(bytes))
        let a = try await s3.makeBucket("fa")
        let b = try await s3.makeBucket("fb")
        buckets = ["a": a.settings.bucket, "b": b.settings.bucket]
        clients = ["a": a, "b": b]
        func destination(_ name: String, endpoint: String) -> [String: Any] {
            ["name": name, "endpoint": endpoint, "region": s3.region, "bucket": buckets[name]!, "accessKeyId": s3.accessKey,
             "secretAccessKey": ["env": "FANOUT_SECRET_\(name.uppercased())"], "pathStyle": true, "partSizeMiB": 5, "partsInFlight": 2]
        }
        var second = destination("b", endpoint: bPort.map { "http://127.0.0.1:\($0)" } ?? s3.endpoint.absoluteString)
        if let bRetryFor { second["retryFor"] = bRetryFor }
        if let bAccessKey { second["accessKeyId"] = bAccessKey }
        let tool = (generated ? "head -c \(dumpBytes) /dev/urandom" : "cat '\(dumpFile)'") + (stall ? "; exec sleep 900" : "")
        var job: [String: Any] = [
            "name": "app", "engine": "command", "schedule": "0 3 * * *", "destinations": ["a", ["name": "b", "retention": ["keepLast": 2]]],
            "prefix": prefix, "compression": generated ? "none" : "zstd",
            "connection": ["argv": ["sh", "-c", "echo run >> '\(counter)'; \(tool)"], "extension": "bin"],
        ]
        if let encryptTo { job["encryption"] = ["ageRecipients": [encryptTo]] }
        job.merge(jobKeys) { $1 }
        let root: [String: Any] = [
            "stateDirectory": state,
            "destinations": [destination("a", endpoint: s3.endpoint.absoluteString), second],
            "jobs": [job],
        ]
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
    }

    let bSecret: String

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["FANOUT_SECRET_A"] = s3.secretKey
        environment["FANOUT_SECRET_B"] = bSecret
        return environment
    }

    func backupd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runBackupd(arguments + ["--config", configPath], environment: environment)
    }

    /// How many times the dump tool ran.
    var toolRuns: Int {
        ((try? String(contentsOfFile: counter, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// Keys under the job's prefix in destination `name`'s bucket, read with the test's own credentials.
    func keys(_ name: String) async throws -> [String] {
        try await s3.client(s3.settings(bucket: buckets[name]!)).listObjects(prefix: prefix + "/").map(\.key)
    }

    /// Multipart uploads left open in destination `name`'s bucket.
    func openUploads(_ name: String) async throws -> [OpenUpload] {
        try await s3.client(s3.settings(bucket: buckets[name]!)).listMultipartUploads(prefix: "")
    }

    func manifest(_ name: String) async throws -> BackupManifest {
        let key = try await #require(try keys(name).first { $0.hasSuffix(".manifest.json") })
        var bytes: [UInt8] = []
        try await s3.client(s3.settings(bucket: buckets[name]!)).getObject(key: key) { bytes.append(contentsOf: $0) }
        return try BackupManifest.parse(bytes, key: key)
    }

    func remove() { try? FileManager.default.removeItem(atPath: state) }
}

@Suite("Fan-out to several destinations", .ownThreads)
struct FanOutTests {
    /// One run stores the same backup in two buckets: the tool runs once, the AWS CLI reads the same
    /// digest from both, each manifest names its sibling, history shows both, and each restores.
    @Test func oneDumpStoredIdenticallyInBoth() async throws {
        let fixture = try await FanOutFixture(dumpBytes: 12_000_000)
        defer { fixture.remove() }
        let run = try fixture.backupd(["run-now", "app"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(fixture.toolRuns == 1)
        let dataA = try await #require(try fixture.keys("a").first { $0.hasSuffix(".bin.zst") })
        let dataB = try await #require(try fixture.keys("b").first { $0.hasSuffix(".bin.zst") })
        #expect(dataA == dataB)
        let digestA = try fixture.s3.cliDigest(bucket: fixture.buckets["a"]!, key: dataA)
        let digestB = try fixture.s3.cliDigest(bucket: fixture.buckets["b"]!, key: dataB)
        #expect(digestA == digestB)
        let manifestA = try await fixture.manifest("a")
        let manifestB = try await fixture.manifest("b")
        // Both copies have the same parts (one plan), so the same digest over them.
        let objectA = try #require(manifestA.objects.first)
        #expect(try fixture.s3.cliDigest(bucket: fixture.buckets["a"]!, as: objectA) == objectA.digest)
        #expect(manifestB.objects.first?.digest == objectA.digest && manifestB.objects.first?.parts == objectA.parts)
        #expect(manifestA.copies.map(\.destination) == ["b"] && manifestA.copies.first?.bucket == fixture.buckets["b"])
        #expect(manifestB.copies.map(\.destination) == ["a"])
        #expect(manifestA.destination == "a" && manifestB.destination == "b")
        #expect(try await fixture.openUploads("a").isEmpty)
        #expect(try await fixture.openUploads("b").isEmpty)

        let history = try HistoryStore(stateDirectory: fixture.state, readOnly: true)
        let runs = try history.runs()
        #expect(runs.count == 1 && runs.first?.status == .succeeded)
        let results = try history.destinationResults(runIDs: runs.map(\.id))[runs[0].id] ?? []
        #expect(results.map(\.destination) == ["a", "b"] && results.allSatisfy { $0.status == .succeeded && $0.sha256 == objectA.digest })
        let shown = try fixture.backupd(["history", "app"])
        #expect(shown.stdout.contains("-> a") && shown.stdout.contains("-> b"), "\(shown.stdout)")

        for name in ["a", "b"] {
            let list = try fixture.backupd(["list", "app", "--destination", name])
            #expect(list.status == 0 && list.stdout.contains("app-"), "\(list.stderr)")
            let target = fixture.state + "/restored-\(name).bin"
            let restore = try fixture.backupd(["restore", "app", "--destination", name, "--to", target])
            #expect(restore.status == 0, "\(restore.stderr)")
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: target))) == fixture.dump)
        }
        let unknown = try fixture.backupd(["list", "app", "--destination", "c"])
        #expect(unknown.status != 0 && unknown.stderr.contains("has no destination named \"c\"; its destinations: a, b"))
        let status = try fixture.backupd(["status"])
        #expect(status.status == 0, "\(status.stdout)")
        #expect(fixture.toolRuns == 1)
    }

    /// A destination whose secret is wrong fails alone: the run is partial (exit 2, one history row,
    /// an error line naming it), the other destination has the complete backup, nothing is left open,
    /// `status` flags the job as PARTIAL (not ok, exit 1), and the wrong secret appears nowhere.
    @Test func wrongSecretMakesThePartialRun() async throws {
        let fixture = try await FanOutFixture(dumpBytes: 8_000_000, bSecret: "wrong-secret-\(UUID().uuidString)")
        defer { fixture.remove() }
        let run = try fixture.backupd(["run-now", "app"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("stored in 1 of 2 destinations"))
        #expect(run.stderr.contains("backup not stored at a destination") && run.stderr.contains("s3.destination=b"), "\(run.stderr)")
        #expect(!run.stderr.contains(fixture.bSecret))
        #expect(fixture.toolRuns == 1)
        await #expect(try fixture.keys("a").contains { $0.hasSuffix(".manifest.json") })
        await #expect(try fixture.keys("b").isEmpty)
        #expect(try await fixture.openUploads("a").isEmpty)
        #expect(try await fixture.openUploads("b").isEmpty)
        let history = try HistoryStore(stateDirectory: fixture.state, readOnly: true)
        let runs = try history.runs()
        #expect(runs.count == 1 && runs.first?.status == .partial)
        let results = try history.destinationResults(runIDs: [runs[0].id])[runs[0].id] ?? []
        #expect(results.map(\.status) == [.succeeded, .failed])
        #expect(!(runs[0].error ?? "").contains(fixture.bSecret))
        let status = try fixture.backupd(["status"])
        #expect(status.status == 1 && status.stdout.contains("PARTIAL"), "\(status.stdout)")
        let restore = try fixture.backupd(["restore", "app", "--to", fixture.state + "/r.bin"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: fixture.state + "/r.bin"))) == fixture.dump)
    }

    /// A destination whose data path goes down mid-upload is aborted and detached, once its retry
    /// budget (`retryFor`, 5 s here) is spent, while the other completes: partial, its multipart
    /// upload aborted (none open), exactly one history row.
    @Test func destinationDownMidUpload() async throws {
        let s3 = try TestS3.environment()
        let proxy = try OutageProxy(upstreamPort: s3.endpoint.port!, failUploadsAfterBytes: 7_000_000)
        defer { proxy.close() }
        let fixture = try await FanOutFixture(dumpBytes: 24_000_000, bPort: proxy.port, bRetryFor: "5s")
        defer { fixture.remove() }
        let run = try fixture.backupd(["run-now", "app"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(proxy.stats.down)
        #expect(fixture.toolRuns == 1)
        await #expect(try fixture.openUploads("b").isEmpty)
        await #expect(try fixture.openUploads("a").isEmpty)
        await #expect(try fixture.keys("b").isEmpty)
        let dataA = try await #require(try fixture.keys("a").first { $0.hasSuffix(".bin.zst") })
        let history = try HistoryStore(stateDirectory: fixture.state, readOnly: true)
        let runs = try history.runs()
        #expect(runs.count == 1 && runs.first?.status == .partial)
        #expect(runs.first?.objectKey == dataA)
        let results = try history.destinationResults(runIDs: [runs[0].id])[runs[0].id] ?? []
        #expect(results.map(\.status) == [.succeeded, .failed])
        let target = fixture.state + "/restored.bin"
        let restore = try fixture.backupd(["restore", "app", "--to", target])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: target))) == fixture.dump)
    }

    /// With a slow second destination (a throttling proxy) the run's peak RSS stays far below the
    /// dump's size: the slow destination holds the stream back instead of memory growing.
    @Test func slowDestinationKeepsMemoryBounded() async throws {
        let s3 = try TestS3.environment()
        let proxy = try OutageProxy(upstreamPort: s3.endpoint.port!, bytesPerSecond: 12 << 20)
        defer { proxy.close() }
        let size = 160 << 20
        let fixture = try await FanOutFixture(dumpBytes: size, bPort: proxy.port, generated: true)
        defer { fixture.remove() }
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let binary = runner.deletingLastPathComponent().appendingPathComponent("backupd").path
        let report = fixture.state + "/time.txt"
        let started = Date()
        let process = try PosixProcessLauncher().launch(ProcessSpec(
            argv: ["/usr/bin/time", "-f", "%M", "-o", report, binary, "run-now", "app", "--config", fixture.configPath],
            environment: fixture.environment))
        var sink = [UInt8](repeating: 0, count: 65_536)
        while try sink.withUnsafeMutableBytes({ try process.readOutput(into: $0) }) > 0 {}
        let timed = (status: process.wait().statusCode, stderr: process.stderrTail())
        let seconds = Date().timeIntervalSince(started)
        #expect(timed.status == 0, "\(timed.stderr)")
        let peakKiB = Int(try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n").last.map(String.init) ?? "") ?? 0
        // Bound: tee 4 × 1 MiB + per destination (2 + 1) × 5 MiB parts = 34 MiB, plus the binary's own ~30 MiB.
        print("fan-out of \(size >> 20) MiB with a 12 MiB/s destination: peak RSS \(peakKiB / 1024) MiB in \(String(format: "%.1f", seconds)) s")
        #expect(peakKiB > 0 && peakKiB < 110 * 1024, "peak RSS \(peakKiB) KiB")
        let keysB = try await fixture.keys("b")
        let dataB = try #require(keysB.first { $0.hasSuffix(".bin") })
        await #expect(try fixture.s3.client(fixture.s3.settings(bucket: fixture.buckets["b"]!)).headObject(key: dataB)?.size == Int64(size))
        #expect(fixture.toolRuns == 1)
    }

    /// Retention applies per destination through the real binary: after three run-now backups, `a`
    /// (no policy) keeps all three and `b` (its own keepLast 2) the two newest; `prune --destination`
    /// reads only that destination and names a wrong one with the job's destinations.
    @Test func retentionPerDestination() async throws {
        let fixture = try await FanOutFixture(dumpBytes: 200_000)
        defer { fixture.remove() }
        for _ in 0..<3 {
            let run = try fixture.backupd(["run-now", "app"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let manifestsA = try await fixture.keys("a").filter { $0.hasSuffix(".manifest.json") }
        let manifestsB = try await fixture.keys("b").filter { $0.hasSuffix(".manifest.json") }
        #expect(manifestsA.count == 3)
        #expect(manifestsB.count == 2 && Set(manifestsB).isSubset(of: Set(manifestsA)))
        await #expect(try fixture.keys("b").count == 4, "two backups of one object and one manifest each")
        let dryRun = try fixture.backupd(["prune", "app", "--destination", "b", "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("destination b:") && !dryRun.stdout.contains("destination a:"), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains("keep"), "\(dryRun.stdout)")
        let both = try fixture.backupd(["prune", "app", "--dry-run"])
        #expect(both.status == 0 && both.stdout.contains("destination a:") && both.stdout.contains("destination b:"), "\(both.stdout)")
        let wrong = try fixture.backupd(["prune", "app", "--destination", "c"])
        #expect(wrong.status == 1 && wrong.stderr.contains("its destinations: a, b"), "\(wrong.stderr)")
        await #expect(try fixture.keys("a").filter { $0.hasSuffix(".manifest.json") }.count == 3)
    }

    /// An encrypted fan-out job encrypts once, then uploads the same ciphertext everywhere: age's
    /// output differs on every encryption, so equal digests at both destinations prove one age run;
    /// a restore from the second destination with the identity gives the dump back.
    @Test func encryptedOnceThenFannedOut() async throws {
        let key = try AgeKey.make()
        defer { key.remove() }
        let fixture = try await FanOutFixture(dumpBytes: 3_000_000, encryptTo: key.recipient)
        defer { fixture.remove() }
        let run = try fixture.backupd(["run-now", "app"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(fixture.toolRuns == 1)
        let keysA = try await fixture.keys("a")
        let data = try #require(keysA.first { $0.hasSuffix(".bin.zst.age") }, "\(keysA)")
        await #expect(try fixture.keys("b").contains(data))
        let history = try HistoryStore(stateDirectory: fixture.state, readOnly: true)
        let runs = try history.runs()
        let results = try history.destinationResults(runIDs: [runs[0].id])[runs[0].id] ?? []
        #expect(results.count == 2 && results.allSatisfy { $0.status == .succeeded && $0.objectKey == data })
        #expect(results.first?.sha256 != nil && results.first?.sha256 == results.last?.sha256)
        let target = fixture.state + "/r.bin"
        let restore = try fixture.backupd(["restore", "app", "--destination", "b", "--identity", key.identity, "--to", target])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: target))) == fixture.dump)
    }
}
