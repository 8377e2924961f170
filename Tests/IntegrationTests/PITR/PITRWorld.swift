import Foundation
import Glibc
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// One PITR test's world: a bucket, a config (readable by the server's user, as wal-push needs),
/// a PostgreSQL cluster archiving through the built backupd, and a scratch directory.
struct PITRWorld {
    let directory: String
    let configPath: String
    let destination: TestDestination
    let cluster: PITRCluster
    let binary: String
    /// The second destination (`test2`), when the world has one.
    var second: TestDestination? = nil

    /// A world whose job has `retention` (none when nil), `pitr` keys besides `archiveUser`,
    /// age encryption to `encryptTo`, a second destination (`test2`, its own bucket) when
    /// `secondDestination`, and `destinationKeys` over the first destination's (an `endpoint`
    /// through a FaultProxy, a short `retryFor`), and `jobKeys` over the job's (a `verify`).
    static func make(
        retention: [String: Any]? = nil, pitr: [String: Any] = [:], encryptTo: String? = nil, secondDestination: Bool = false,
        destinationKeys: [String: Any] = [:], jobKeys: [String: Any] = [:]
    ) async throws -> PITRWorld {
        let directory = "/tmp/backupd-pitr-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o711)
        let destination = try await TestDestination.make()
        let second = secondDestination ? try await TestDestination.make() : nil
        let binary = try backupdBinary()
        let configPath = directory + "/config.json"
        let pg = directory + "/pg"
        let cluster = try PITRCluster(directory: pg, archiveCommand: "\(binary) wal-push --config \(configPath) pg %p")
        var job: [String: Any] = [
            "name": "pg", "engine": "postgres", "schedule": "0 3 * * *", "prefix": "pitr",
            "connection": ["host": pg, "port": cluster.port, "username": "postgres", "database": "postgres"],
            "pitr": pitr.merging(["archiveUser": "postgres"]) { $1 },
        ]
        if second != nil { job["destinations"] = ["test", "test2"] } else { job["destination"] = "test" }
        if let retention { job["retention"] = retention }
        if let encryptTo { job["encryption"] = ["ageRecipients": [encryptTo]] }
        job.merge(jobKeys) { $1 }
        var destinations = [destination.json.merging(destinationKeys) { $1 }]
        if let second { destinations.append(second.json.merging(["name": "test2"]) { $1 }) }
        let root: [String: Any] = ["stateDirectory": directory + "/state", "destinations": destinations, "jobs": [job]]
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        // Readable by the server's user: wal-push reads the config (never a secret) to find the socket.
        chmod(configPath, 0o644)
        return PITRWorld(directory: directory, configPath: configPath, destination: destination, cluster: cluster, binary: binary, second: second)
    }

    /// Starts `backupd run` and waits for its control socket.
    func startDaemon() throws -> DaemonProcess {
        let daemon = try DaemonProcess(configPath: configPath, directory: directory)
        let socket = directory + "/state/" + ControlServer.fileName
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: socket), Date() < deadline { usleep(50_000) }
        guard FileManager.default.fileExists(atPath: socket) else { throw TestSetupError("the daemon made no control socket: \(daemon.log)") }
        return daemon
    }

    /// Runs `backupd ARGUMENTS --config CONFIG` as root (bounded by 300 s).
    func backupd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runBackupd(arguments + ["--config", configPath], environment: ProcessInfo.processInfo.environment, timeout: 300)
    }

    /// Runs `backupd SUBCOMMAND --config CONFIG ARGUMENTS` as the server's user.
    func asServerUser(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try PITRCluster.asServerUser([binary, arguments[0], "--config", configPath] + arguments.dropFirst(), in: directory + "/pg", check: false)
    }

    /// Switches to a new WAL segment and waits until the one switched from is archived; returns its name.
    /// `on` another cluster archiving into the job (a restored one) instead of the world's.
    @discardableResult
    func switchAndWaitArchived(on other: PITRCluster? = nil, timeout: TimeInterval = 90) throws -> String {
        let cluster = other ?? self.cluster
        let segment = try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())")
        let deadline = Date().addingTimeInterval(timeout)
        while try archivedUpTo(on: cluster) < segment {
            guard Date() < deadline else { throw TestSetupError("\(segment) was not archived within \(timeout) s: \(cluster.log)") }
            usleep(100_000)
        }
        return segment
    }

    /// A base backup through the running daemon, then table `t` (1000 rows) and `segments`
    /// segments written and archived after it, one row each; returns their names.
    func baseBackupThenSegments(_ segments: Int, daemon: DaemonProcess) throws -> [String] {
        let backup = try backupd(["run-now", "pg"])
        guard backup.status == 0 else { throw TestSetupError("run-now failed: \(backup.stderr)\n\(daemon.log)") }
        try cluster.psql("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id")
        var switched: [String] = []
        // A switch with nothing written since the last one is a no-op: write before each.
        for id in 0..<segments {
            try cluster.psql("INSERT INTO t VALUES (\(id))")
            switched.append(try switchAndWaitArchived())
        }
        return switched
    }

    /// Overwrites the archived object of WAL file `name` with `bytes`, behind backupd's back (the
    /// AWS CLI, no condition), as damage in the bucket would.
    func replaceArchived(_ name: String, with bytes: Data) throws {
        let file = directory + "/replacement-\(name)"
        try bytes.write(to: URL(fileURLWithPath: file))
        let bucket = destination.json["bucket"] as? String ?? ""
        let put = try TestS3.environment().aws(["s3api", "put-object", "--bucket", bucket, "--key", "pitr/pg/wal/\(name.prefix(8))/\(name).zst", "--body", file])
        guard put.status == 0 else { throw TestSetupError("aws put-object failed: \(put.error)") }
    }

    /// The newest segment PostgreSQL archived ("" before the first).
    func archivedUpTo(on other: PITRCluster? = nil) throws -> String {
        try (other ?? cluster).psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
    }

    /// The job's manifests, oldest first.
    func manifests() async throws -> [BackupManifest] {
        let keys = try await destination.store.list(prefix: "pitr/").map(\.key).filter { $0.hasSuffix(ObjectName.manifestSuffix) }
        var manifests: [BackupManifest] = []
        for key in keys { manifests.append(try BackupManifest.parse(try await destination.store.read(key: key), key: key)) }
        return manifests.sorted { $0.endedAt < $1.endedAt }
    }

    /// The WAL file names in the bucket, read by the AWS CLI (a second client), in key order.
    func archivedNames(in other: TestDestination? = nil) throws -> [String] {
        let s3 = try TestS3.environment()
        let bucket = (other ?? destination).json["bucket"] as? String ?? ""
        let listed = try s3.aws(["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "pitr/pg/wal/", "--output", "json"])
        guard listed.status == 0 else { throw TestSetupError("aws list-objects-v2 failed: \(listed.error)") }
        guard !listed.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        let json = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any]
        let keys = ((json?["Contents"] as? [[String: Any]]) ?? []).compactMap { $0["Key"] as? String }
        return keys.map { String($0.split(separator: "/").last ?? "").replacingOccurrences(of: ".age", with: "").replacingOccurrences(of: ".zst", with: "") }.sorted()
    }

    /// The job's only manifest.
    func onlyManifest() async throws -> BackupManifest {
        let keys = try await destination.store.list(prefix: "pitr/").map(\.key).filter { $0.hasSuffix(ObjectName.manifestSuffix) }
        guard keys.count == 1 else { throw TestSetupError("expected one manifest, found \(keys)") }
        return try BackupManifest.parse(try await destination.store.read(key: keys[0]), key: keys[0])
    }

    /// Starts a cluster restored into `directory/name`.
    func startRestored(_ name: String, archiving: Bool = false, awaitingPromotion: Bool = true) throws -> PITRCluster {
        try PITRCluster(
            restored: directory + "/" + name, scratch: directory + "/" + name + "-run", archiving: archiving, awaitingPromotion: awaitingPromotion)
    }

    /// Points the job's connection at `other` (a restored, promoted cluster) in the config file;
    /// the daemon reads it when it starts.
    func connectJob(to other: PITRCluster) throws {
        let url = URL(fileURLWithPath: configPath)
        guard var root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any],
            var jobs = root["jobs"] as? [[String: Any]], !jobs.isEmpty
        else { throw TestSetupError("cannot read \(configPath)") }
        jobs[0]["connection"] = ["host": other.socketDirectory, "port": other.port, "username": "postgres", "database": "postgres"]
        root["jobs"] = jobs
        try JSONSerialization.data(withJSONObject: root).write(to: url)
        chmod(configPath, 0o644)
    }

    /// The daemon's history, read-only.
    func history() throws -> HistoryStore {
        try HistoryStore(path: directory + "/state/" + HistoryStore.fileName, readOnly: true)
    }

    /// The Prometheus text the daemon's metrics would show now, from its history.
    func metricsText() throws -> String {
        let config = try BackupConfig.load(path: configPath, secrets: .none).config
        return MetricsExposition.render(config: config, jobs: [:], now: Date(), history: try HistoryMetrics.read(from: try history(), jobs: ["pg"]))
    }

    /// Stops the cluster, removes the scratch directory and the world's buckets (the shared
    /// radosgw keeps its objects in memory).
    func tearDown() {
        cluster.stop()
        try? FileManager.default.removeItem(atPath: directory)
        for bucket in [destination, second].compactMap({ $0?.json["bucket"] as? String }) {
            _ = try? TestS3.environment().aws(["s3", "rb", "--force", "s3://\(bucket)", "--cli-connect-timeout", "10", "--cli-read-timeout", "30"])
        }
    }
}
