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

/// Three real daemons, each in a network namespace of the test's own, reaching radosgw over a
/// bridge; one host's link is cut for several slots. Needs root (CI runs as root).
@Suite("Fleet: three hosts as network namespaces, one link cut", .ownThreads, .enabled(if: getuid() == 0, "needs root for ip netns"))
struct FleetPartitionTests {
    /// Every slot while host-3 is cut off is backed up by host-1 or host-2; no slot ever has two
    /// manifests; after the link comes back host-3 runs nothing twice, and its history accounts
    /// for the slots it did not run (claimed by another host, or failed when it could not claim).
    @Test func cutHostRunsNothingTwice() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-netns")
        defer { fleet.remove() }
        let target = try TestS3.environment().endpoint
        let network = try NamespaceNetwork(hosts: 3, target: "\(target.host ?? "127.0.0.1"):\(target.port ?? 80)")
        defer { network.remove() }
        let script = "head -c 20000 /dev/urandom"
        var daemons: [String: DaemonProcess] = [:]
        defer { for daemon in daemons.values { daemon.cleanUp() } }
        for host in 1...3 {
            daemons["host-\(host)"] = try fleet.start(
                host: "host-\(host)", script: script, schedule: "*/5 * * * * *", endpoint: network.endpoint, launcher: network.launcher(host))
        }
        try await Task.sleep(for: .seconds(15))
        try network.setLink(3, up: false)
        let cutAt = Date()
        try await Task.sleep(for: .seconds(25))
        try network.setLink(3, up: true)
        let restoredAt = Date()
        try await Task.sleep(for: .seconds(20))
        for daemon in daemons.values { daemon.send(SIGTERM) }
        for (host, daemon) in daemons { #expect(await daemon.waitForExit(timeout: 60) != nil, "\(host) did not stop") }
        let logs = daemons.map { "== \($0.key)\n\($0.value.log.suffix(4000))" }.joined(separator: "\n")
        let manifests = try await fleet.manifests()
        let bySlot = Dictionary(grouping: manifests) { $0.claim?.slot ?? "none" }
        #expect(bySlot["none"] == nil)
        for (slot, list) in bySlot { #expect(list.count == 1, "slot \(slot) has \(list.count) manifests: \(list.map(\.host))") }
        // Slots wholly inside the cut: host-1 or host-2 backed each up.
        var slot = Date(timeIntervalSince1970: ((cutAt.timeIntervalSince1970 / 5).rounded(.down) + 1) * 5)
        var inside = 0
        while slot.addingTimeInterval(5) < restoredAt {
            let text = ClaimKey.slotText(slot)
            let holder = bySlot[text]?.first?.claim?.hostId
            #expect(holder == "host-1" || holder == "host-2", "slot \(text) during the cut: \(holder ?? "no backup")\n\(logs)")
            inside += 1
            slot.addTimeInterval(5)
        }
        #expect(inside >= 3)
        // host-3 never made a backup of a slot during the cut, and has at most one row per slot.
        let rows = try fleet.history(host: "host-3")
        let slots = rows.compactMap { $0.scheduledAt.map(ClaimKey.slotText) }
        #expect(Set(slots).count == slots.count, "host-3 has two rows for one slot")
        for row in rows where row.status == .succeeded {
            let text = row.scheduledAt.map(ClaimKey.slotText) ?? ""
            #expect(bySlot[text]?.first?.claim?.hostId == "host-3", "host-3 recorded success for \(text) without the manifest")
        }
        #expect(rows.contains { $0.status == .claimed && $0.scheduledAt.map { $0 > restoredAt } == true }
            || rows.contains { $0.status == .succeeded && $0.scheduledAt.map { $0 > restoredAt } == true }, "host-3 took no part after the link came back\n\(logs)")
    }
}
