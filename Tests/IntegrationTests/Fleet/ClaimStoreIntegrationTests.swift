import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Two simulated hosts (two `ClaimStore`s with different host ids) racing for slots on radosgw.
@Suite("Claims between two hosts on radosgw", .ownThreads)
struct ClaimStoreIntegrationTests {
    static let slot = Date(timeIntervalSince1970: 1_796_605_200)

    func hosts(_ label: String, lease: TimeInterval) async throws -> (a: ClaimStore, b: ClaimStore, client: S3Client) {
        let client = try await TestS3.environment().makeBucket(label)
        func host(_ id: String, _ pid: Int32) -> ClaimStore {
            ClaimStore(store: client, prefix: "fleet/", hostId: id, pid: pid, lease: lease, logger: Logger(label: "test.claims.\(id)"))
        }
        return (host("host-a", 101), host("host-b", 202), client)
    }

    /// The first host wins the slot and its claim object is in the bucket; the second is told
    /// "claimed by host-a", also after a renewal; another slot is independent.
    @Test func firstWinsSecondYields() async throws {
        let (a, b, client) = try await hosts("claim-race", lease: 300)
        guard case .won(let held) = try await a.claim(job: "db", slot: Self.slot) else {
            Issue.record("host-a should win a free slot")
            return
        }
        #expect(held.key == "fleet/.backupd/claims/db/20261207T010000Z.json")
        #expect(held.record.fencing == 1 && held.record.hostId == "host-a" && held.record.state == .running)
        let stored = try await client.readVersioned(key: held.key)
        #expect(try ClaimRecord.decode(stored.body, key: held.key) == held.record)
        #expect(stored.etag == held.etag)
        let serverNow = try #require(stored.serverDate)
        #expect(abs(held.record.leaseExpiresAt.timeIntervalSince(serverNow) - 300) <= 5)

        await #expect(try b.claim(job: "db", slot: Self.slot) == .claimedBy(host: "host-a", state: .running))
        let renewed = try await a.renew(held)
        // ETags are content digests: a renewal within the same server second may keep the ETag.
        #expect(renewed.record.leaseExpiresAt >= held.record.leaseExpiresAt && renewed.record.fencing == 1)
        #expect(try await client.readVersioned(key: held.key).etag == renewed.etag)
        await #expect(try b.claim(job: "db", slot: Self.slot) == .claimedBy(host: "host-a", state: .running))
        guard case .won = try await b.claim(job: "db", slot: Self.slot + 10) else {
            Issue.record("host-b should win the next slot")
            return
        }
    }

    /// After the holder's lease runs out (server time), the other host takes over with fencing 2;
    /// the old holder's renewal and its re-validation before the manifest both fail with
    /// "lost its claim to host-b"; the new holder completes and finishes; nobody takes a done slot.
    @Test func expiredLeaseIsTakenOverAndOldHolderIsFenced() async throws {
        // 3 s: the server's Date has whole seconds, so a shorter lease could lapse before host-b's first read.
        let (a, b, _) = try await hosts("claim-takeover", lease: 3)
        guard case .won(let old) = try await a.claim(job: "db", slot: Self.slot) else {
            Issue.record("host-a should win a free slot")
            return
        }
        await #expect(try b.claim(job: "db", slot: Self.slot) == .claimedBy(host: "host-a", state: .running))
        try await Task.sleep(for: .seconds(4.2))
        guard case .won(let taken) = try await b.claim(job: "db", slot: Self.slot) else {
            Issue.record("host-b should take the expired claim over")
            return
        }
        #expect(taken.record.fencing == 2 && taken.record.takenOverFrom == "host-a" && taken.record.hostId == "host-b")
        let lost = ClaimError.lostClaim(to: "host-b", job: "db", slot: "20261207T010000Z")
        await #expect(throws: lost) { try await a.renew(old) }
        await #expect(throws: lost) { try await a.complete(old) }
        #expect(lost.description.contains("lost its claim to host-b"))

        let completing = try await b.complete(taken)
        #expect(completing.record.state == .completing && completing.record.fencing == 2)
        let done = try await b.finish(completing)
        #expect(done.record.state == .done)
        try await Task.sleep(for: .seconds(4.2))
        await #expect(try a.claim(job: "db", slot: Self.slot) == .claimedBy(host: "host-b", state: .done))
    }

    /// A stale holder cannot complete even when it read the claim before the takeover: its
    /// If-Match names the old ETag and the server refuses it.
    @Test func staleETagCannotComplete() async throws {
        let (a, b, client) = try await hosts("claim-stale", lease: 3)
        guard case .won(let old) = try await a.claim(job: "db", slot: Self.slot) else {
            Issue.record("host-a should win a free slot")
            return
        }
        try await Task.sleep(for: .seconds(4.2))
        guard case .won(let taken) = try await b.claim(job: "db", slot: Self.slot) else {
            Issue.record("host-b should take the expired claim over")
            return
        }
        await #expect(throws: ObjectStoreError.preconditionFailed(key: old.key)) {
            try await client.replaceObject(key: old.key, ifMatch: old.etag, body: Array("x".utf8), contentType: "application/json")
        }
        #expect(try await client.readVersioned(key: old.key).etag == taken.etag)
    }
    /// Two hosts claiming the same 20 slots at the same moment: for every slot exactly one wins,
    /// the other is told who, and the claim object names the winner.
    @Test func concurrentClaimsHaveOneWinnerPerSlot() async throws {
        let (a, b, client) = try await hosts("claim-concurrent", lease: 300)
        for index in 0..<20 {
            let slot = Self.slot + Double(index * 60)
            let outcomes = await withTaskGroup(of: (String, Result<ClaimStore.Outcome, any Error>).self) { group in
                for host in [a, b] {
                    group.addTask {
                        do { return (host.hostId, .success(try await host.claim(job: "db", slot: slot))) } catch { return (host.hostId, .failure(error)) }
                    }
                }
                var all: [(String, Result<ClaimStore.Outcome, any Error>)] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            var winners: [String] = []
            var losers: [(String, String)] = []
            for (host, result) in outcomes {
                switch result {
                case .success(.won): winners.append(host)
                case .success(.claimedBy(let holder, _)): losers.append((host, holder))
                case .failure(let error): Issue.record("\(host): \(error)")
                }
            }
            #expect(winners.count == 1 && losers.count == 1, "slot \(index): \(outcomes)")
            guard let winner = winners.first, let loser = losers.first else { continue }
            #expect(loser.1 == winner)
            let stored = try await client.readVersioned(key: ClaimKey.key(prefix: "fleet/", job: "db", slot: slot))
            #expect(try ClaimRecord.decode(stored.body, key: "k").hostId == winner)
        }
    }
}
