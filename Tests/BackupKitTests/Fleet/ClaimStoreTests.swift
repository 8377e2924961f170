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

/// An in-memory bucket with conditional writes and a server clock; `landThenRefuseNext` applies
/// the next write and then answers as its retry would (412), like a response lost on the network.
final class FakeConditionalStore: ConditionalObjectStore, @unchecked Sendable {
    private let lock = NSLock()
    private var objects: [String: (body: [UInt8], etag: String)] = [:]
    private var version = 0
    var serverNow = Date(timeIntervalSince1970: 1_796_605_200)
    var landThenRefuseNext = false
    var sendsDate = true

    func readVersioned(key: String) throws -> VersionedRead {
        lock.withLock {
            let object = objects[key]
            return VersionedRead(body: object?.body ?? [], etag: object?.etag, serverDate: sendsDate ? serverNow : nil)
        }
    }

    func createObjectStrictly(key: String, body: [UInt8], contentType: String) throws -> ConditionalWrite {
        try lock.withLock {
            guard objects[key] == nil else { throw ObjectStoreError.alreadyExists(key: key) }
            return try store(key, body, refusal: .alreadyExists(key: key))
        }
    }

    func replaceObject(key: String, ifMatch etag: String, body: [UInt8], contentType: String) throws -> ConditionalWrite {
        try lock.withLock {
            guard objects[key]?.etag == etag else { throw ObjectStoreError.preconditionFailed(key: key) }
            return try store(key, body, refusal: .preconditionFailed(key: key))
        }
    }

    private func store(_ key: String, _ body: [UInt8], refusal: ObjectStoreError) throws -> ConditionalWrite {
        version += 1
        objects[key] = (body, "\"v\(version)\"")
        if landThenRefuseNext {
            landThenRefuseNext = false
            throw refusal
        }
        return ConditionalWrite(etag: "\"v\(version)\"", serverDate: serverNow)
    }
}

@Suite("ClaimStore on an in-memory bucket", .ownThreads)
struct ClaimStoreTests {
    static let slot = Date(timeIntervalSince1970: 1_796_605_200)

    func host(_ id: String, _ store: FakeConditionalStore) -> ClaimStore {
        ClaimStore(store: store, prefix: "p", hostId: id, pid: 7, lease: 60, logger: Logger(label: "test"))
    }

    /// A create whose response was lost (the retry saw 412) is recognised as this host's own claim.
    @Test func lostCreateResponseIsStillWon() async throws {
        let store = FakeConditionalStore()
        store.landThenRefuseNext = true
        guard case .won(let held) = try await host("a", store).claim(job: "db", slot: Self.slot) else {
            Issue.record("the host whose create landed must hold the claim")
            return
        }
        #expect(held.record.hostId == "a" && held.etag == "\"v1\"")
        await #expect(try host("b", store).claim(job: "db", slot: Self.slot) == .claimedBy(host: "a", state: .running))
    }

    /// A renewal whose response was lost is still held (the re-read shows this host's record).
    @Test func lostRenewalResponseIsStillHeld() async throws {
        let store = FakeConditionalStore()
        let a = host("a", store)
        guard case .won(let held) = try await a.claim(job: "db", slot: Self.slot) else { Issue.record("no claim"); return }
        store.serverNow += 20
        store.landThenRefuseNext = true
        let renewed = try await a.renew(held)
        #expect(renewed.etag == "\"v2\"" && renewed.record.leaseExpiresAt == Self.slot + 80)
    }

    /// Leases expire by the server's clock only: before expiry the other host yields, after it
    /// takes over (fencing 2), and the first host's re-validation fails naming the new holder.
    @Test func takeoverByServerClock() async throws {
        let store = FakeConditionalStore()
        let (a, b) = (host("a", store), host("b", store))
        guard case .won(let old) = try await a.claim(job: "db", slot: Self.slot) else { Issue.record("no claim"); return }
        store.serverNow += 59
        await #expect(try b.claim(job: "db", slot: Self.slot) == .claimedBy(host: "a", state: .running))
        store.serverNow += 1
        guard case .won(let taken) = try await b.claim(job: "db", slot: Self.slot) else { Issue.record("no takeover"); return }
        #expect(taken.record.fencing == 2 && taken.record.takenOverFrom == "a")
        await #expect(throws: ClaimError.lostClaim(to: "b", job: "db", slot: "20261207T010000Z")) { try await a.complete(old) }
    }

    /// A provider answer without a Date header stops the claim (leases need the server's clock).
    @Test func noServerDateIsAnError() async throws {
        let store = FakeConditionalStore()
        store.sendsDate = false
        await #expect(throws: ClaimError.noServerDate(key: "p/.backupd/claims/db/20261207T010000Z.json")) {
            try await host("a", store).claim(job: "db", slot: Self.slot)
        }
    }

    /// An unreadable claim object is reported, never overwritten.
    @Test func malformedClaimIsReported() async throws {
        let store = FakeConditionalStore()
        _ = try store.createObjectStrictly(key: "p/.backupd/claims/db/20261207T010000Z.json", body: Array("{}".utf8), contentType: "x")
        await #expect(throws: ClaimError.self) { try await host("a", store).claim(job: "db", slot: Self.slot) }
        #expect(try store.readVersioned(key: "p/.backupd/claims/db/20261207T010000Z.json").body == Array("{}".utf8))
    }
}
