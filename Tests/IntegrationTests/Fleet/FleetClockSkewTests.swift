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
    /// The environment that runs `host`'s daemon with its wall clock `seconds` off (scripts/clock-shim.c).
    static func skewed(_ fleet: FleetFixture, host: String, seconds: String) throws -> [String: String] {
        let shim = fleet.directory + "/clock-shim.so"
        if !FileManager.default.fileExists(atPath: shim) {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/clock-shim.c")
                .standardized.path
            try NamespaceNetwork.sh("cc -shared -fPIC -O2 -o \(shim) \(source) -lpthread -ldl")
        }
        let file = fleet.directory + "/offset-\(host)"
        try seconds.write(toFile: file, atomically: true, encoding: .utf8)
        return ["LD_PRELOAD": shim, "BACKUPD_CLOCK_SHIM_FILE": file]
    }

    /// host-b's clock runs 4 s ahead and host-a's 4 s behind; each run lasts 5 s, so the later host
    /// reaches every slot while the other's run of it is live or just done: every slot has one
    /// manifest (fencing 1: no live claim was taken over), and the other host records the slot as
    /// claimed by the winner.
    @Test func skewedClocksRunEachSlotOnce() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-skew")
        defer { fleet.remove() }
        var daemons: [String: DaemonProcess] = [:]
        defer { for daemon in daemons.values { daemon.cleanUp() } }
        for (host, offset) in [("host-a", "-4"), ("host-b", "4")] {
            daemons[host] = try fleet.start(
                host: host, script: "head -c 20000 /dev/urandom; sleep 5", schedule: "*/15 * * * * *",
                environment: try Self.skewed(fleet, host: host, seconds: offset))
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

    /// Clocks 5 minutes behind (host-a), right (host-b) and 5 minutes ahead (host-c), a job every
    /// 10 s that prunes to its last 6 backups (so prune deletes old slot claims as it goes), for
    /// about six minutes: host-c runs each slot 5 minutes early; when host-b's clock reaches those
    /// slots it finds host-c's claims `done` (their leases expired minutes before) and records
    /// `claimed by host-c`, and host-a likewise finds host-b's. No slot is run by two hosts (one
    /// `succeeded` row in all the histories, at most one manifest), and the claims of the slots
    /// the later hosts reached are still there, done, fencing 1: none was taken over or deleted.
    @Test func minutesOfSkewRunEachSlotOnce() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-skew5")
        defer { fleet.remove() }
        let hosts = ["host-a": "-300", "host-b": "0", "host-c": "300"]
        var daemons: [String: DaemonProcess] = [:]
        defer { for daemon in daemons.values { daemon.cleanUp() } }
        for (host, offset) in hosts.sorted(by: { $0.key < $1.key }) {
            daemons[host] = try fleet.start(
                host: host, script: "head -c 20000 /dev/urandom", schedule: "*/10 * * * * *", lease: "15s",
                environment: try Self.skewed(fleet, host: host, seconds: offset), jobExtra: ["retention": ["keepLast": 6]])
        }
        let up = await poll(timeout: 60) { hosts.keys.allSatisfy { !((try? fleet.history(host: $0)) ?? []).isEmpty } }
        try #require(up, "\(daemons.map { "== \($0.key)\n\($0.value.log.suffix(3000))" }.joined(separator: "\n"))")
        // Five minutes until host-b reaches host-c's first slots (and host-a host-b's), then about six slots of it.
        try await Task.sleep(for: .seconds(360))
        for daemon in daemons.values { daemon.send(SIGTERM) }
        for (host, daemon) in daemons { #expect(await daemon.waitForExit(timeout: 60) == 0, "\(host) did not stop cleanly") }
        let logs = daemons.map { "== \($0.key)\n\($0.value.log.suffix(3000))" }.joined(separator: "\n")

        let rows = try Dictionary(uniqueKeysWithValues: hosts.keys.map { ($0, try fleet.history(host: $0)) })
        var bySlot: [String: [(host: String, row: RunRecord)]] = [:]
        for (host, list) in rows {
            for row in list {
                #expect(row.status == .succeeded || row.status == .claimed, "\(host): \(row.status.rawValue) \(row.error ?? "")\n\(logs)")
                if let slot = row.scheduledAt.map(ClaimKey.slotText) { bySlot[slot, default: []].append((host, row)) }
            }
        }
        for (slot, list) in bySlot {
            #expect(Set(list.map(\.host)).count == list.count, "slot \(slot): a host has two rows")
            let winners = list.filter { $0.row.status == .succeeded }.map(\.host)
            #expect(winners.count == 1, "slot \(slot) run by \(winners)\n\(logs)")
            for other in list where other.row.status == .claimed {
                #expect(other.row.error == "claimed by \(winners.first ?? "?")", "\(other.host) on \(slot): \(other.row.error ?? "")")
            }
        }
        for (slot, list) in Dictionary(grouping: try await fleet.manifests(), by: { $0.claim?.slot ?? "none" }) {
            #expect(list.count == 1 && slot != "none", "slot \(slot): \(list.count) manifests")
        }
        // The slots a later host reached after an earlier one ran them, minutes before.
        let claims = Dictionary(try await fleet.claims().map { ($0.slot, $0) }, uniquingKeysWith: { a, _ in a })
        var met: [String: Int] = [:]
        for (slot, list) in bySlot where list.count > 1 {
            guard let winner = list.first(where: { $0.row.status == .succeeded }) else { continue }
            let claim = claims[slot]
            #expect(claim?.hostId == winner.host && claim?.state == .done && claim?.fencing == 1, "slot \(slot): \(String(describing: claim))")
            for other in list where other.host != winner.host {
                met["\(other.host) after \(winner.host)", default: 0] += 1
                // The later host reached the slot minutes after the claim was written (its row's time
                // is its own clock's; less its offset, the real time, against the claim's server time).
                if let claim, let offset = Double(hosts[other.host] ?? "") {
                    let after = other.row.startedAt.addingTimeInterval(-offset).timeIntervalSince(claim.startedAt)
                    #expect(after > 200, "\(other.host) reached \(slot) only \(after) s after its claim was written")
                }
            }
        }
        #expect(met["host-b after host-c", default: 0] >= 3, "\(met)\n\(logs)")
        #expect(met["host-a after host-b", default: 0] >= 3, "\(met)\n\(logs)")
    }
}
