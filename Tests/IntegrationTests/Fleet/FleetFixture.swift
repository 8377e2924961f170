import Foundation
import Glibc
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Several `backupd run` daemons with one config (each with its own `hostId` and state directory)
/// on one `runOn: "any"` command job in a fresh radosgw bucket.
struct FleetFixture {
    let destination: TestDestination
    /// A second destination of the job (`second`, its own bucket), when made with two.
    var second: TestDestination? = nil
    let directory: String
    let prefix = "fleet"
    let job = "job"

    /// A bucket and a directory; `script` is the job's dump (sh -c), `schedule` has a seconds field.
    /// With `destinations: 2` the job also writes to a second bucket (claims stay in the first).
    static func make(label: String, destinations: Int = 1) async throws -> FleetFixture {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-\(label)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let second = destinations > 1 ? try await TestDestination.make() : nil
        return FleetFixture(destination: try await TestDestination.make(), second: second, directory: directory)
    }

    /// The job's destinations: the first (claims), then the second if any.
    var all: [TestDestination] { [destination] + (second.map { [$0] } ?? []) }

    /// Writes `host`'s config (the fleet's config with `hostId` and `stateDirectory` set) and returns its path.
    /// `endpoint` replaces the destination's (a host in a network namespace reaches radosgw through a forwarder).
    /// `jobExtra` adds keys to the job (e.g. `retention`).
    func writeConfig(
        host: String, script: String, schedule: String, lease: String, endpoint: String? = nil, jobExtra: [String: Any] = [:]
    ) throws -> String {
        let hostDirectory = directory + "/" + host
        try FileManager.default.createDirectory(atPath: hostDirectory, withIntermediateDirectories: true)
        let targets = all.enumerated().map { index, destination -> [String: Any] in
            var target = destination.json
            if index > 0 { target["name"] = "second" }
            if let endpoint {
                target["endpoint"] = endpoint
                // The bridge's address is not loopback; the tests' radosgw speaks plain http.
                target["allowInsecureHTTP"] = true
            }
            return target
        }
        var jobObject: [String: Any] = [
            "name": job, "engine": "command", "schedule": schedule, "prefix": prefix, "runOn": "any",
            "catchUp": "none", "compression": "none", "connection": ["argv": ["sh", "-c", script], "extension": ".bin"],
        ]
        if second == nil { jobObject["destination"] = "test" } else { jobObject["destinations"] = ["test", "second"] }
        jobObject.merge(jobExtra) { $1 }
        let root: [String: Any] = [
            "stateDirectory": hostDirectory + "/state", "hostId": host, "claimLease": lease, "shutdownGracePeriod": "20s",
            "destinations": targets, "jobs": [jobObject],
        ]
        let path = hostDirectory + "/config.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        return path
    }

    /// Starts `host`'s daemon.
    func start(
        host: String, script: String, schedule: String, lease: String = "6s", endpoint: String? = nil, launcher: [String] = [],
        environment: [String: String] = [:], jobExtra: [String: Any] = [:]
    ) throws -> DaemonProcess {
        let config = try writeConfig(host: host, script: script, schedule: schedule, lease: lease, endpoint: endpoint, jobExtra: jobExtra)
        return try DaemonProcess(configPath: config, directory: directory + "/" + host, environment: environment, launcher: launcher)
    }

    /// Every manifest of the job in the bucket.
    func manifests() async throws -> [BackupManifest] {
        let keys = try await destination.store.list(prefix: prefix + "/").map(\.key).filter { $0.hasSuffix(ObjectName.manifestSuffix) }
        var found: [BackupManifest] = []
        for key in keys { found.append(try BackupManifest.parse(try await destination.store.read(key: key), key: key)) }
        return found
    }

    /// Every slot claim of the job in the bucket (not its prune and sweep claims).
    func claims() async throws -> [ClaimRecord] {
        let folder = ClaimKey.folder(prefix: prefix, job: job)
        var found: [ClaimRecord] = []
        for object in try await destination.store.list(prefix: folder) where ClaimKey.slot(ofKey: object.key, folder: folder) != nil {
            found.append(try ClaimRecord.decode(try await destination.store.read(key: object.key), key: object.key))
        }
        return found
    }

    /// `host`'s history of the job, oldest first.
    func history(host: String) throws -> [RunRecord] {
        try HistoryStore(stateDirectory: directory + "/" + host + "/state", readOnly: true).runs().filter { $0.job == job }
            .sorted { $0.startedAt < $1.startedAt }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
