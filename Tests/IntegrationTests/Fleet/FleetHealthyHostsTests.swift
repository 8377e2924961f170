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

/// Three healthy `backupd run` daemons, each in a network namespace of the test's own, on a job
/// every 10 s for 30 slots. Needs root (CI runs as root).
@Suite("Fleet: three healthy hosts, 30 slots", .ownThreads, .enabled(if: getuid() == 0, "needs root for ip netns"))
struct FleetHealthyHostsTests {
    static let hosts = ["host-1", "host-2", "host-3"]

    /// For each of 30 slots in which all three hosts ran: exactly one manifest, made by the host
    /// holding the slot's claim (fencing 1, done); every host's history has exactly one row for the
    /// slot, `succeeded` on the maker and `claimed by MAKER` on the other two; `backupd fleet
    /// --json` run against the bucket shows the job ok, its newest backup and host, no missed slot.
    @Test func thirtySlotsEachRunOnce() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-three")
        defer { fleet.remove() }
        let target = try TestS3.environment().endpoint
        let network = try NamespaceNetwork(hosts: 3, target: "\(target.host ?? "127.0.0.1"):\(target.port ?? 80)")
        defer { network.remove() }
        var daemons: [String: DaemonProcess] = [:]
        defer { for daemon in daemons.values { daemon.cleanUp() } }
        for (index, host) in Self.hosts.enumerated() {
            daemons[host] = try fleet.start(
                host: host, script: "head -c 20000 /dev/urandom", schedule: "*/10 * * * * *", lease: "15s", endpoint: network.endpoint,
                launcher: network.launcher(index + 1))
        }
        // The window opens at the first slot after every host has recorded a slot of its own.
        let up = await poll(timeout: 60) { Self.hosts.allSatisfy { !((try? fleet.history(host: $0)) ?? []).isEmpty } }
        let early = daemons.map { "== \($0.key)\n\($0.value.log.suffix(3000))" }.joined(separator: "\n")
        try #require(up, "not every host recorded a slot within 60 s\n\(early)")
        let first = Date(timeIntervalSince1970: ((Date().timeIntervalSince1970 / 10).rounded(.down) + 1) * 10)
        let window = (0..<30).map { first.addingTimeInterval(Double($0) * 10) }
        // The last slot's run and the losers' `claimed` rows, with room for a loaded machine.
        try await Task.sleep(for: .seconds(window.last!.timeIntervalSinceNow + 20))
        let configPath = fleet.directory + "/host-2/config.json"
        let json = try runBackupd(["fleet", "--json", "--config", configPath], environment: ProcessInfo.processInfo.environment, timeout: 120)
        for daemon in daemons.values { daemon.send(SIGTERM) }
        for (host, daemon) in daemons { #expect(await daemon.waitForExit(timeout: 60) == 0, "\(host) did not stop cleanly") }
        let logs = daemons.map { "== \($0.key)\n\($0.value.log.suffix(3000))" }.joined(separator: "\n")

        let manifests = try await fleet.manifests()
        let bySlot = Dictionary(grouping: manifests) { $0.claim?.slot ?? "none" }
        #expect(bySlot["none"] == nil, "a manifest without a claim")
        for (slot, list) in bySlot { #expect(list.count == 1, "slot \(slot) has \(list.count) manifests: \(list.map(\.host))") }
        let claims = Dictionary(try await fleet.claims().map { ($0.slot, $0) }, uniquingKeysWith: { a, _ in a })
        let rows = try Dictionary(uniqueKeysWithValues: Self.hosts.map { ($0, try fleet.history(host: $0)) })
        for host in Self.hosts {
            let slots = rows[host]!.compactMap { $0.scheduledAt.map(ClaimKey.slotText) }
            #expect(Set(slots).count == slots.count, "\(host) has two rows for one slot")
        }
        var makers: [String: Int] = [:]
        for slot in window.map(ClaimKey.slotText) {
            guard let manifest = bySlot[slot]?.first, let maker = manifest.claim?.hostId else {
                Issue.record("slot \(slot) has no backup\n\(logs)")
                continue
            }
            makers[maker, default: 0] += 1
            #expect(manifest.host == maker && manifest.claim?.fencing == 1, "slot \(slot): \(manifest.host) fencing \(manifest.claim?.fencing ?? 0)")
            #expect(claims[slot]?.hostId == maker && claims[slot]?.state == .done, "slot \(slot): claim \(String(describing: claims[slot]))")
            for host in Self.hosts {
                let row = rows[host]!.first { $0.scheduledAt.map(ClaimKey.slotText) == slot }
                if host == maker {
                    #expect(row?.status == .succeeded, "\(host) made \(slot) but recorded \(row?.status.rawValue ?? "nothing")")
                } else {
                    #expect(row?.status == .claimed && row?.error == "claimed by \(maker)",
                        "\(host) on \(slot): \(row?.status.rawValue ?? "no row") \(row?.error ?? "")\n\(logs)")
                }
            }
        }
        #expect(makers.values.reduce(0, +) == 30)

        #expect(json.status == 0, "fleet: \(json.stdout)\(json.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let job = try #require((document?["jobs"] as? [[String: Any]])?.first, "\(json.stdout)")
        #expect(job["state"] as? String == "ok", "\(json.stdout)")
        #expect((job["missedSlots"] as? [Any])?.isEmpty == true, "\(json.stdout)")
        let newest = try #require(job["newest"] as? [String: Any], "\(json.stdout)")
        let shown = try #require(manifests.first { $0.backupId == newest["backupId"] as? String }, "fleet shows a backup not in the bucket: \(json.stdout)")
        #expect(newest["host"] as? String == shown.host && Self.hosts.contains(shown.host))
        #expect(newest["slot"] as? String == shown.claim?.slot)
        // Nothing newer than the one shown had been completed when `fleet` ran (the window's last slot at least).
        #expect((newest["slot"] as? String ?? "") >= ClaimKey.slotText(window.last!), "\(json.stdout)")
        #expect(newest["objectsPresent"] as? Bool == true)
    }
}
