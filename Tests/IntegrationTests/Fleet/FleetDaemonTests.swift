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

/// Two real `backupd run` daemons (same config, different `hostId`, separate state directories)
/// on one `runOn: "any"` job against radosgw.
@Suite("Fleet: two daemons, one run per slot", .ownThreads)
struct FleetDaemonTests {
    /// Slots as their claim text, from a history's rows.
    static func slots(_ runs: [RunRecord], _ status: RunStatus? = nil) -> Set<String> {
        Set(runs.filter { status == nil || $0.status == status }.compactMap { $0.scheduledAt.map(ClaimKey.slotText) })
    }

    /// Two healthy hosts on a job every 4 s for about 30 s: every slot has exactly one manifest
    /// (made by the host holding its claim, fencing 1); for every slot both hosts ran, one host's
    /// history says succeeded and the other's `claimed by` the winner.
    @Test func everySlotExactlyOnce() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-once")
        defer { fleet.remove() }
        let script = "head -c 20000 /dev/urandom"
        let a = try fleet.start(host: "host-a", script: script, schedule: "*/4 * * * * *")
        defer { a.cleanUp() }
        let b = try fleet.start(host: "host-b", script: script, schedule: "*/4 * * * * *")
        defer { b.cleanUp() }
        try await Task.sleep(for: .seconds(30))
        // `backupd fleet` on either host reads the same from the bucket while the fleet runs.
        let configA = fleet.directory + "/host-a/config.json", configB = fleet.directory + "/host-b/config.json"
        let table = try runBackupd(["fleet", "--config", configB], environment: ProcessInfo.processInfo.environment, timeout: 60)
        #expect(table.status == 0, "fleet: \(table.stdout)\(table.stderr)")
        #expect(table.stdout.contains("host-a") || table.stdout.contains("host-b"))
        let json = try runBackupd(["fleet", "--json", "--config", configA], environment: ProcessInfo.processInfo.environment, timeout: 60)
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let job = (document?["jobs"] as? [[String: Any]])?.first
        #expect(job?["state"] as? String == "ok", "\(json.stdout)")
        #expect((job?["missedSlots"] as? [Any])?.isEmpty == true)
        let newest = job?["newest"] as? [String: Any]
        #expect(["host-a", "host-b"].contains(newest?["host"] as? String ?? ""))
        #expect(newest?["objectsPresent"] as? Bool == true)
        let metrics = try runBackupd(["fleet", "--prometheus", "--config", configA], environment: ProcessInfo.processInfo.environment, timeout: 60)
        let line = metrics.stdout.split(separator: "\n").first { $0.hasPrefix("backupd_fleet_newest_backup_timestamp_seconds{backup_job=\"job\"} ") }
        let stamp = line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        #expect(abs(stamp - Date().timeIntervalSince1970) < 15, "\(metrics.stdout)")
        a.send(SIGTERM)
        b.send(SIGTERM)
        #expect(await a.waitForExit(timeout: 40) == 0)
        #expect(await b.waitForExit(timeout: 40) == 0)
        let manifests = try await fleet.manifests()
        let bySlot = Dictionary(grouping: manifests) { $0.claim?.slot ?? "none" }
        #expect(bySlot["none"] == nil, "a manifest without a claim")
        #expect(bySlot.count >= 5, "only \(bySlot.count) slots backed up in 30 s; logs:\n\(a.log)\n\(b.log)")
        for (slot, list) in bySlot { #expect(list.count == 1, "slot \(slot) has \(list.count) manifests") }
        let claims = try await fleet.claims()
        for manifest in manifests {
            let claim = try #require(claims.first { $0.slot == manifest.claim?.slot })
            #expect(claim.hostId == manifest.claim?.hostId)
            #expect(claim.state == .done)
            #expect(manifest.claim?.fencing == 1)
            #expect(manifest.host == claim.hostId)
        }
        let ha = try fleet.history(host: "host-a"), hb = try fleet.history(host: "host-b")
        // Slots both hosts accounted for: one succeeded, the other claimed by the winner.
        let both = Self.slots(ha).intersection(Self.slots(hb))
        #expect(both.count >= 4)
        for slot in both {
            let rowA = try #require(ha.first { $0.scheduledAt.map(ClaimKey.slotText) == slot })
            let rowB = try #require(hb.first { $0.scheduledAt.map(ClaimKey.slotText) == slot })
            let statuses = Set([rowA.status, rowB.status])
            #expect(statuses == [.succeeded, .claimed], "slot \(slot): \(rowA.status) on host-a, \(rowB.status) on host-b")
            let winner = rowA.status == .succeeded ? "host-a" : "host-b"
            #expect([rowA, rowB].first { $0.status == .claimed }?.error == "claimed by \(winner)")
            #expect(bySlot[slot]?.first?.claim?.hostId == winner)
        }
        #expect(Self.slots(ha).count == ha.count && Self.slots(hb).count == hb.count, "a host has two rows for one slot")
    }

    /// A daemon whose generic endpoint ignores conditional headers (a stripping proxy before
    /// radosgw) probes it before its first claim and runs no slot: each is a failed row naming the
    /// probe; no manifest, no claim is written.
    @Test func ignoredConditionsRunNothing() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-strip")
        defer { fleet.remove() }
        let proxy = try ConditionStrippingProxy(upstream: try TestS3.environment().endpoint)
        defer { proxy.stop() }
        let daemon = try fleet.start(host: "host-a", script: "echo data", schedule: "*/3 * * * * *", endpoint: proxy.endpoint.absoluteString)
        defer { daemon.cleanUp() }
        let failed = await poll(timeout: 30) { ((try? fleet.history(host: "host-a")) ?? []).filter { $0.status == .failed }.count >= 2 }
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 40) == 0)
        #expect(failed, "\(daemon.log)")
        let rows = try fleet.history(host: "host-a")
        #expect(!rows.isEmpty && rows.allSatisfy { $0.status == .failed || $0.status == .skipped })
        #expect(rows.filter { $0.status == .failed }.allSatisfy { $0.error?.contains("failed the conditional-write probe") == true }, "\(rows.map { $0.error ?? "" })")
        #expect(daemon.log.contains("destination failed the conditional-write probe"))
        #expect(try await fleet.manifests().isEmpty)
        #expect(try await fleet.claims().isEmpty)
    }

    /// The first claim seen in the bucket, once its run is under way.
    static func firstClaim(_ fleet: FleetFixture) async throws -> ClaimRecord? {
        var found: ClaimRecord?
        _ = await poll(timeout: 40) {
            found = try? await fleet.claims().first { $0.state == .running }
            return found != nil
        }
        return found
    }

    /// SIGKILL of the winner while its dump uploads to both of the job's buckets: after its lease
    /// the other host takes the slot over (fencing 2) within the lease plus one renewal interval of
    /// the dead holder's last claim write (server times), aborts the dead run's open multipart
    /// uploads in both buckets, and completes the slot; the slot has exactly one manifest, the
    /// survivor's, and once the survivor stopped no multipart upload is open in either bucket.
    @Test func killedWinnerIsTakenOver() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-kill", destinations: 2)
        defer { fleet.remove() }
        let script = "head -c 300000 /dev/urandom; sleep 8; head -c 1000 /dev/urandom"
        let daemons = ["host-a": try fleet.start(host: "host-a", script: script, schedule: "*/20 * * * * *")]
            .merging(["host-b": try fleet.start(host: "host-b", script: script, schedule: "*/20 * * * * *")]) { $1 }
        defer { for daemon in daemons.values { daemon.cleanUp() } }
        let claim = try #require(try await Self.firstClaim(fleet))
        let winner = try #require(daemons[claim.hostId])
        let survivor = claim.hostId == "host-a" ? "host-b" : "host-a"
        // The winner's run named itself in its claim and has an upload open in each bucket.
        var dead: [OpenUpload] = []
        let uploading = await poll(timeout: 30) {
            guard let id = ((try? await fleet.claims()) ?? []).first(where: { $0.slot == claim.slot })?.backupId else { return false }
            let prefix = ObjectName.keyPrefix(prefix: fleet.prefix, backupID: id)
            var found: [OpenUpload] = []
            for destination in fleet.all { found += (try? await destination.store.openUploads(prefix: prefix)) ?? [] }
            dead = found
            return found.count == 2
        }
        try #require(uploading, "the winner never had an upload open in both buckets; its log:\n\(winner.log)")
        winner.send(SIGKILL)
        let killedAt = Date()
        // The dead holder's last claim write (a request in flight has landed after a second; the lease is 6 s).
        try await Task.sleep(for: .seconds(1))
        let last = try #require(try await fleet.claims().first { $0.slot == claim.slot })
        #expect(last.hostId == claim.hostId && last.fencing == 1)
        let completed = await poll(timeout: 45) {
            ((try? await fleet.manifests()) ?? []).contains { $0.claim?.slot == claim.slot }
        }
        #expect(completed, "nobody completed slot \(claim.slot); survivor's log:\n\(daemons[survivor]!.log)")
        // The takeover 8 s dump included, with room for a loaded machine.
        #expect(Date().timeIntervalSince(killedAt) < 40)
        daemons[survivor]!.send(SIGTERM)
        #expect(await daemons[survivor]!.waitForExit(timeout: 40) == 0)
        let log = daemons[survivor]!.log
        let manifests = try await fleet.manifests().filter { $0.claim?.slot == claim.slot }
        #expect(manifests.count == 1)
        #expect(manifests.first?.claim == ManifestClaim(hostId: survivor, slot: claim.slot, fencing: 2))
        #expect(log.contains("took the slot over"))
        // The takeover's server time against the dead holder's last write (its lease, from the server's clock, less 6 s).
        let taken = try #require(try await fleet.claims().first { $0.slot == claim.slot })
        #expect(taken.hostId == survivor && taken.fencing == 2 && taken.takenOverFrom == claim.hostId)
        let lastWrite = last.leaseExpiresAt.addingTimeInterval(-6)
        // Lease 6 s plus one renewal interval (2 s), and 2 s of slack: whole-second times, two requests on a loaded machine.
        #expect(taken.startedAt.timeIntervalSince(lastWrite) <= 6 + 2 + 2, "taken over at \(taken.startedAt), last write \(lastWrite)")
        for upload in dead {
            #expect(log.contains("aborted the previous holder's open upload") && log.contains(upload.uploadID), "\(upload.key) \(upload.uploadID) not aborted:\n\(log)")
        }
        // Read by a second client (the AWS CLI): nothing is left open in either bucket.
        for destination in fleet.all {
            let bucket = destination.json["bucket"] as? String ?? ""
            #expect(try TestS3.environment().openUploadIDs(bucket: bucket).isEmpty, "open uploads left in \(bucket)")
        }
        let row = try fleet.history(host: survivor).first { $0.scheduledAt.map(ClaimKey.slotText) == claim.slot }
        #expect(row?.status == .succeeded)
    }

    /// SIGSTOP of the winner past its lease: the other host takes over and completes; after
    /// SIGCONT the woken run writes no manifest and records that it lost its claim.
    @Test func pausedWinnerLosesItsClaim() async throws {
        let fleet = try await FleetFixture.make(label: "fleet-pause")
        defer { fleet.remove() }
        let script = "head -c 300000 /dev/urandom; sleep 4; head -c 1000 /dev/urandom"
        let daemons = ["host-a": try fleet.start(host: "host-a", script: script, schedule: "*/30 * * * * *")]
            .merging(["host-b": try fleet.start(host: "host-b", script: script, schedule: "*/30 * * * * *")]) { $1 }
        defer { for daemon in daemons.values { daemon.send(SIGCONT); daemon.cleanUp() } }
        let claim = try #require(try await Self.firstClaim(fleet))
        let winner = try #require(daemons[claim.hostId])
        let survivor = claim.hostId == "host-a" ? "host-b" : "host-a"
        winner.send(SIGSTOP)
        let taken = await poll(timeout: 30) {
            ((try? await fleet.manifests()) ?? []).contains { $0.claim?.slot == claim.slot }
        }
        #expect(taken, "nobody took slot \(claim.slot) over; survivor's log:\n\(daemons[survivor]!.log)")
        winner.send(SIGCONT)
        let recorded = await poll(timeout: 30) {
            ((try? fleet.history(host: claim.hostId)) ?? []).contains { $0.scheduledAt.map(ClaimKey.slotText) == claim.slot && $0.status != .running }
        }
        #expect(recorded, "the woken host recorded nothing; its log:\n\(winner.log)")
        for daemon in daemons.values { daemon.send(SIGTERM) }
        for daemon in daemons.values { #expect(await daemon.waitForExit(timeout: 40) == 0) }
        let manifests = try await fleet.manifests().filter { $0.claim?.slot == claim.slot }
        #expect(manifests.count == 1)
        #expect(manifests.first?.claim == ManifestClaim(hostId: survivor, slot: claim.slot, fencing: 2))
        let row = try #require(try fleet.history(host: claim.hostId).first { $0.scheduledAt.map(ClaimKey.slotText) == claim.slot })
        #expect(row.status == .claimed)
        #expect(row.error?.hasPrefix("lost its claim to \(survivor)") == true, "\(row.error ?? "")")
        // The woken run left no data object of its own behind (aborted or removed).
        let keys = try await fleet.destination.store.list(prefix: fleet.prefix + "/").map(\.key).filter { !$0.contains("/.backupd/") }
        let kept = Set(manifests.flatMap { [ObjectName.manifestKey(prefix: fleet.prefix, backupID: $0.backupId)] + $0.dataKeys })
        let others = try await fleet.manifests().flatMap { [ObjectName.manifestKey(prefix: fleet.prefix, backupID: $0.backupId)] + $0.dataKeys }
        #expect(Set(keys).subtracting(kept).subtracting(others).isEmpty, "objects without a manifest: \(Set(keys).subtracting(kept).subtracting(others))")
    }
}
