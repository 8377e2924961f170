import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The fleet's operations through the real binary against radosgw: the conditional-write probe
/// at the daemon's start, the fleet gauges on the daemon's own `/metrics`, and `backupd fleet`
/// over a job with two buckets.
@Suite("Fleet: start probe, daemon fleet metrics, several destinations", .ownThreads)
struct FleetOpsTests {
    /// Rewrites the JSON config at `path` with `edit`.
    static func edit(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        edit(&root)
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    /// A daemon whose generic endpoint ignores conditional headers (a stripping proxy before
    /// radosgw) names the refused job, its destination and the failed probe step in an error at
    /// start, long before the job's first slot (daily at 03:00): nothing ran, no claim and no probe
    /// object is left. The same daemon straight on radosgw logs that the probe passed.
    @Test func probeAtStartRefusesLoudly() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-start-probe")
        defer { fleet.remove() }
        let proxy = try ConditionStrippingProxy(upstream: try TestS3.environment().endpoint)
        defer { proxy.stop() }
        let daemon = try fleet.start(host: "host-a", script: "echo data", schedule: "0 3 * * *", endpoint: proxy.endpoint.absoluteString)
        defer { daemon.cleanUp() }
        let refused = await daemon.waitForLog("runOn any job job refused: destination test failed the conditional-write probe", timeout: 40)
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 40) == 0)
        #expect(refused, "\(daemon.log)")
        let line = daemon.log.split(separator: "\n").first { $0.contains("runOn any job job refused") }.map(String.init) ?? ""
        #expect(line.contains("Second create refused (412)") && line.contains("unsafe for runOn \"any\""), "\(line)")
        #expect(proxy.stripped >= 2)
        #expect(try fleet.history(host: "host-a").isEmpty)
        #expect(try await fleet.destination.store.list(prefix: ClaimKey.folder(prefix: fleet.prefix, job: fleet.job)).isEmpty)

        let direct = try fleet.start(host: "host-b", script: "echo data", schedule: "0 3 * * *")
        defer { direct.cleanUp() }
        let passed = await direct.waitForLog("conditional-write probe passed", timeout: 40)
        direct.send(SIGTERM)
        #expect(await direct.waitForExit(timeout: 40) == 0)
        #expect(passed && !direct.log.contains("refused: destination"), "\(direct.log)")
    }

    /// The daemon's `/metrics` carries `backupd_fleet_newest_backup_timestamp_seconds` read from
    /// the bucket: at start it equals the end of the newest manifest, which another host (its own
    /// state directory) wrote, although this host's history has no run; after this host's own
    /// run-now of the job, the refresh it prompts shows that newer manifest's end within seconds.
    @Test func daemonExportsFleetFreshness() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-metrics")
        defer { fleet.remove() }
        let port = try freeLoopbackPort()
        let other = try fleet.writeConfig(host: "host-b", script: "head -c 5000 /dev/urandom", schedule: "0 3 * * *", lease: "6s")
        let environment = ProcessInfo.processInfo.environment
        let first = try runBackupd(["run-now", "job", "--config", other], environment: environment, timeout: 90)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let own = try fleet.writeConfig(host: "host-a", script: "head -c 5000 /dev/urandom", schedule: "0 3 * * *", lease: "6s")
        try Self.edit(own) { $0["metrics"] = ["listen": "127.0.0.1:\(port)"] }
        let daemon = try DaemonProcess(configPath: own, directory: fleet.directory + "/host-a")
        defer { daemon.cleanUp() }
        let gauge = "backupd_fleet_newest_backup_timestamp_seconds{backup_job=\"job\"}"
        func newestEnd() async throws -> Double? {
            try await fleet.manifests().map { $0.endedAt.timeIntervalSince1970.rounded(.down) }.max()
        }
        func scrape() -> [String: Double] {
            (try? PrometheusParser.parse(try httpGet("http://127.0.0.1:\(port)/metrics").body).samples) ?? [:]
        }
        let expected = try #require(try await newestEnd())
        var samples: [String: Double] = [:]
        let seen = await poll(timeout: 30) {
            samples = scrape()
            return samples[gauge] != nil
        }
        #expect(seen, "\(daemon.log)")
        #expect(samples[gauge] == expected)
        #expect(samples["backupd_fleet_missed_slots{backup_job=\"job\"}"] == 0)
        #expect(samples["backupd_fleet_destination_newest_backup_timestamp_seconds{backup_job=\"job\",destination=\"test\"}"] == expected)
        #expect(samples["backupd_fleet_last_read_timestamp_seconds{backup_job=\"job\"}"] != nil)
        // Every fleet series the contrib alert rules use is there for the job.
        let ruled = try ContribAlertRules.metricNames(prefix: "backupd_fleet_")
        #expect(ruled.count >= 2, "\(ruled)")
        for name in ruled {
            #expect(samples.keys.contains { $0.hasPrefix(name + "{backup_job=\"job\"") }, "\(name) used by contrib/prometheus but not exported: \(samples.keys.sorted())")
        }
        #expect(try fleet.history(host: "host-a").isEmpty)

        let second = try runBackupd(["run-now", "job", "--config", own], environment: environment, timeout: 90)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        var newer: Double?
        let followed = await poll(timeout: 30) {
            newer = try? await newestEnd()
            guard let newer, newer > expected else { return false }
            return scrape()[gauge] == newer
        }
        #expect(followed, "gauge \(scrape()[gauge] ?? -1), newest manifest \(newer ?? -1); \(daemon.log)")
        #expect(try await fleet.manifests().count == 2)
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 40) == 0)
    }

    /// `backupd fleet` over a job writing to two buckets: with the newest backup's manifest gone
    /// from the first, the newest is the one in the second bucket, named with its destination in
    /// the JSON and the table, and the per-destination gauges give each bucket's newest.
    @Test func fleetReadsEveryDestination() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-two")
        defer { fleet.remove() }
        let far = try await TestDestination.make()
        let path = try fleet.writeConfig(host: "host-a", script: "head -c 5000 /dev/urandom", schedule: "0 3 * * *", lease: "6s")
        var farJSON = far.json
        farJSON["name"] = "far"
        try Self.edit(path) { root in
            root["destinations"] = ((root["destinations"] as? [Any]) ?? []) + [farJSON]
            var jobs = (root["jobs"] as? [[String: Any]]) ?? []
            jobs[0]["destination"] = nil
            jobs[0]["destinations"] = ["test", "far"]
            root["jobs"] = jobs
        }
        let environment = ProcessInfo.processInfo.environment
        for _ in 0..<2 {
            let run = try runBackupd(["run-now", "job", "--config", path], environment: environment, timeout: 90)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            try await Task.sleep(for: .seconds(1.1))
        }
        let manifests = try await fleet.manifests().sorted { $0.endedAt < $1.endedAt }
        #expect(manifests.count == 2)
        let newest = try #require(manifests.last)
        let nearKeys = try await fleet.destination.store.list(prefix: fleet.prefix + "/").map(\.key)
        let gone = try #require(nearKeys.first { $0.hasSuffix(ObjectName.manifestSuffix) && $0.contains(newest.backupId) })
        try await fleet.destination.store.delete(keys: [gone])

        // Each bucket has its own manifest of the backup (its own upload's end).
        let farKey = try #require(try await far.store.list(prefix: fleet.prefix + "/").map(\.key).first {
            $0.hasSuffix(ObjectName.manifestSuffix) && $0.contains(newest.backupId)
        })
        let farNewest = try BackupManifest.parse(try await far.store.read(key: farKey), key: farKey)

        let json = try runBackupd(["fleet", "--json", "--config", path], environment: environment, timeout: 60)
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let job = try #require((document?["jobs"] as? [[String: Any]])?.first, "\(json.stdout)\(json.stderr)")
        let shown = job["newest"] as? [String: Any]
        #expect(shown?["backupId"] as? String == newest.backupId && shown?["destination"] as? String == "far", "\(json.stdout)")
        #expect(shown?["objectsPresent"] as? Bool == true)
        let iso = ISO8601DateFormatter()
        let byDestination = job["newestByDestination"] as? [String: String]
        #expect(byDestination?["far"] == iso.string(from: farNewest.endedAt) && byDestination?["test"] == iso.string(from: manifests[0].endedAt))
        let table = try runBackupd(["fleet", "--config", path], environment: environment, timeout: 60)
        #expect(table.stdout.contains("DESTINATION") && table.stdout.contains(" far "), "\(table.stdout)")
        let text = try runBackupd(["fleet", "--prometheus", "--config", path], environment: environment, timeout: 60).stdout
        let samples = try PrometheusParser.parse(text).samples
        #expect(samples["backupd_fleet_newest_backup_timestamp_seconds{backup_job=\"job\"}"] == farNewest.endedAt.timeIntervalSince1970.rounded(.down))
        #expect(samples["backupd_fleet_destination_newest_backup_timestamp_seconds{backup_job=\"job\",destination=\"test\"}"]
            == manifests[0].endedAt.timeIntervalSince1970.rounded(.down))
    }
}
