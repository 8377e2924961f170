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
    /// host-b's clock runs 4 s ahead and host-a's 4 s behind; each run lasts 5 s, so host-a reaches
    /// every slot while host-b's run of it is live or just done: every slot has one manifest, by
    /// host-b, and host-a records each as claimed by host-b (never taking a live claim over).
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
        for (slot, list) in bySlot {
            #expect(list.count == 1, "slot \(slot): \(list.count) manifests")
            #expect(list.first?.claim?.hostId == "host-b", "slot \(slot) by \(list.first?.host ?? "?")")
            #expect(list.first?.claim?.fencing == 1)
        }
        let rowsA = try fleet.history(host: "host-a")
        for slot in bySlot.keys {
            let row = rowsA.first { $0.scheduledAt.map(ClaimKey.slotText) == slot }
            #expect(row.map { $0.status == .claimed && $0.error == "claimed by host-b" } ?? true, "host-a on \(slot): \(row?.status.rawValue ?? "-")")
        }
        #expect(!rowsA.contains { $0.status == .succeeded }, "host-a ran a slot\n\(logs)")
    }
}
