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

/// Two daemons whose wall clocks disagree (scripts/clock-shim.c, LD_PRELOAD): slots are named by
/// the schedule and leases by the server's `Date`, so each slot still runs once.
@Suite("Fleet: hosts with skewed clocks", .ownThreads)
struct FleetClockSkewTests {
    /// host-b's clock runs 4 s ahead and host-a's 4 s behind; each run lasts 5 s, so the later host
    /// reaches every slot while the other's run of it is live or just done: every slot has one
    /// manifest (fencing 1: no live claim was taken over), and the other host records the slot as
    /// claimed by the winner.
    @Test func skewedClocksRunEachSlotOnce() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-skew")
        defer { fleet.remove() }
        let shim = fleet.directory + "/clock-shim.so"
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/clock-shim.c")
            .standardized.path
        try NamespaceNetwork.sh("cc -shared -fPIC -O2 -o \(shim) \(source) -lpthread -ldl")
        var daemons: [String: DaemonProcess] = [:]
        defer { for daemon in daemons.values { daemon.cleanUp() } }
        for (host, offset) in [("host-a", "-4"), ("host-b", "4")] {
            let file = fleet.directory + "/offset-\(host)"
            try offset.write(toFile: file, atomically: true, encoding: .utf8)
            daemons[host] = try fleet.start(
                host: host, script: "head -c 20000 /dev/urandom; sleep 5", schedule: "*/15 * * * * *",
                environment: ["LD_PRELOAD": shim, "BACKUPD_CLOCK_SHIM_FILE": file])
        }
        try await Task.sleep(for: .seconds(50))
        for daemon in daemons.values { daemon.send(SIGTERM) }
        for daemon in daemons.values { #expect(await daemon.waitForExit(timeout: 40) == 0) }
        let logs = daemons.map { "== \($0.key)\n\($0.value.log.suffix(3000))" }.joined(separator: "\n")
        let manifests = try await fleet.manifests()
        let bySlot = Dictionary(grouping: manifests) { $0.claim?.slot ?? "none" }
        #expect(bySlot.count >= 2, "\(logs)")
        let rows = ["host-a": try fleet.history(host: "host-a"), "host-b": try fleet.history(host: "host-b")]
        for (slot, list) in bySlot {
            #expect(list.count == 1, "slot \(slot): \(list.count) manifests")
            // Usually host-b, whose clock is ahead; a loaded machine can delay it past host-a's
            // start. Either way one host ran the slot and the other never took its live claim.
            let winner = try #require(list.first?.claim?.hostId, "slot \(slot): no claim in the manifest")
            #expect(list.first?.claim?.fencing == 1, "slot \(slot): a live claim was taken over\n\(logs)")
            let loser = winner == "host-a" ? "host-b" : "host-a"
            let row = rows[loser]?.first { $0.scheduledAt.map(ClaimKey.slotText) == slot }
            #expect(row.map { $0.status == .claimed && $0.error == "claimed by \(winner)" } ?? true, "\(loser) on \(slot): \(row?.status.rawValue ?? "-")")
        }
    }
}
