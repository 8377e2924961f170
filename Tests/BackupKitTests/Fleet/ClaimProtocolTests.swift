import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Claim protocol decisions", .ownThreads)
struct ClaimProtocolTests {
    static let t0 = Date(timeIntervalSince1970: 1_796_605_200)  // 2026-12-07T01:00:00Z
    let a = ClaimProtocol(job: "db", slot: "20261207T010000Z", hostId: "host-a", pid: 10, lease: 60)
    let b = ClaimProtocol(job: "db", slot: "20261207T010000Z", hostId: "host-b", pid: 20, lease: 60)

    /// No claim yet: create one with fencing 1, running, lease from the server's clock (whole seconds).
    @Test func freeSlotIsCreated() {
        let decision = a.decide(existing: nil, etag: nil, serverNow: Self.t0 + 0.7)
        let expected = ClaimRecord(
            job: "db", slot: "20261207T010000Z", hostId: "host-a", pid: 10, startedAt: Self.t0, leaseExpiresAt: Self.t0 + 60,
            fencing: 1, state: .running)
        #expect(decision == .create(expected))
    }

    /// Another host's claim yields while its lease is live (server time), also one second before expiry.
    @Test(arguments: [0.0, 30, 59])
    func liveClaimYields(after seconds: Double) {
        let held = a.initial(serverNow: Self.t0)
        #expect(b.decide(existing: held, etag: "\"e1\"", serverNow: Self.t0 + seconds) == .yield(to: "host-a", state: .running))
    }

    /// An expired running or completing claim is taken over with If-Match on its ETag, fencing + 1,
    /// the new lease from the server's clock, the previous holder named.
    @Test(arguments: [ClaimState.running, .completing])
    func expiredClaimIsTakenOver(state: ClaimState) {
        var held = a.initial(serverNow: Self.t0)
        held.state = state
        held.fencing = 3
        let now = Self.t0 + 60
        guard case .takeOver(let record, let ifMatch, let previous) = b.decide(existing: held, etag: "\"stale\"", serverNow: now) else {
            Issue.record("expected a takeover")
            return
        }
        #expect(ifMatch == "\"stale\"" && previous == held)
        #expect(record.fencing == 4 && record.hostId == "host-b" && record.takenOverFrom == "host-a" && record.state == .running)
        #expect(record.leaseExpiresAt == now + 60 && record.startedAt == now)
    }

    /// A done slot is never taken over, however old its lease.
    @Test func doneSlotYieldsForever() {
        let finished = a.done(a.initial(serverNow: Self.t0))
        #expect(b.decide(existing: finished, etag: "\"e\"", serverNow: Self.t0 + 86_400) == .yield(to: "host-a", state: .done))
    }

    /// A claim equal to the one this host tried to write (a retried request that had landed) is held.
    @Test func ownPendingWriteIsHeld() {
        let mine = a.initial(serverNow: Self.t0)
        #expect(a.decide(existing: mine, etag: "\"e\"", serverNow: Self.t0 + 1, pending: mine) == .hold(mine, etag: "\"e\""))
        #expect(b.decide(existing: mine, etag: "\"e\"", serverNow: Self.t0 + 1, pending: b.initial(serverNow: Self.t0)) == .yield(to: "host-a", state: .running))
    }

    /// Renewal extends the lease from the server's latest Date; completing also moves the state;
    /// done keeps the lease; renewal is due every lease/3 of monotonic time.
    @Test func renewCompleteDone() {
        let held = a.initial(serverNow: Self.t0)
        #expect(a.renewal(of: held, serverNow: Self.t0 + 20.9).leaseExpiresAt == Self.t0 + 80)
        let completing = a.completing(held, serverNow: Self.t0 + 40)
        #expect(completing.state == .completing && completing.leaseExpiresAt == Self.t0 + 100 && completing.fencing == 1)
        #expect(a.done(completing).state == .done && a.done(completing).leaseExpiresAt == completing.leaseExpiresAt)
        #expect(a.renewInterval == 20 && !a.renewalDue(elapsed: 19.9) && a.renewalDue(elapsed: 20))
    }

    /// Keys are `{prefix}/.backupd/claims/{job}/{slot}.json` with the slot in UTC, prefix slashes trimmed.
    @Test(arguments: [("backups/", "backups/.backupd/claims/db/20261207T010000Z.json"), ("", ".backupd/claims/db/20261207T010000Z.json"), ("/a/b", "a/b/.backupd/claims/db/20261207T010000Z.json")])
    func claimKeys(prefix: String, expected: String) {
        #expect(ClaimKey.key(prefix: prefix, job: "db", slot: Self.t0) == expected)
    }

    /// The JSON round-trips exactly, has the documented fields, and other formats or garbage are refused.
    @Test func recordJSON() throws {
        var record = b.initial(serverNow: Self.t0)
        record.takenOverFrom = "host-a"
        let text = String(decoding: record.encoded(), as: UTF8.self)
        #expect(text == #"{"fencing":1,"format":1,"hostId":"host-b","job":"db","leaseExpiresAt":"2026-12-07T01:01:00Z","pid":20,"slot":"20261207T010000Z","startedAt":"2026-12-07T01:00:00Z","state":"running","takenOverFrom":"host-a"}"#)
        #expect(try ClaimRecord.decode(record.encoded(), key: "k") == record)
        #expect(throws: ClaimError.self) { try ClaimRecord.decode(Array(text.replacingOccurrences(of: "\"format\":1", with: "\"format\":2").utf8), key: "k") }
        #expect(throws: ClaimError.self) { try ClaimRecord.decode(Array(text.replacingOccurrences(of: "running", with: "paused").utf8), key: "k") }
        #expect(throws: ClaimError.self) { try ClaimRecord.decode(Array("{}".utf8), key: "k") }
    }
}
