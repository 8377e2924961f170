import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The conditional-write primitives the fleet's claims stand on, against the real radosgw.
@Suite("Conditional writes on radosgw", .ownThreads)
struct ConditionalWriteIntegrationTests {
    /// A second If-None-Match: * PUT of a key is refused (412) and the first content stays.
    @Test func secondCreateIsRefused() async throws {
        let client = try await TestS3.environment().makeBucket("cond-create")
        let first = try await client.createObjectStrictly(key: "c/one.json", body: Array("first".utf8), contentType: "application/json")
        #expect(!first.etag.isEmpty)
        #expect(first.serverDate != nil)
        await #expect(throws: ObjectStoreError.alreadyExists(key: "c/one.json")) {
            try await client.createObjectStrictly(key: "c/one.json", body: Array("second".utf8), contentType: "application/json")
        }
        let read = try await client.readVersioned(key: "c/one.json")
        #expect(read.body == Array("first".utf8))
        #expect(read.etag == first.etag)
        #expect(read.serverDate != nil)
    }

    /// A wrong If-Match is refused (412) and changes nothing; the right one replaces the object
    /// and yields a new ETag, after which the old ETag is wrong.
    @Test func ifMatchReplacesOnlyTheNamedVersion() async throws {
        let client = try await TestS3.environment().makeBucket("cond-match")
        let first = try await client.createObjectStrictly(key: "k.json", body: Array("v1".utf8), contentType: "application/json")
        await #expect(throws: ObjectStoreError.preconditionFailed(key: "k.json")) {
            try await client.replaceObject(key: "k.json", ifMatch: "\"0123456789abcdef0123456789abcdef\"", body: Array("evil".utf8), contentType: "application/json")
        }
        #expect(try await client.readVersioned(key: "k.json").body == Array("v1".utf8))
        let second = try await client.replaceObject(key: "k.json", ifMatch: first.etag, body: Array("v2".utf8), contentType: "application/json")
        #expect(second.etag != first.etag)
        #expect(second.serverDate != nil)
        await #expect(throws: ObjectStoreError.preconditionFailed(key: "k.json")) {
            try await client.replaceObject(key: "k.json", ifMatch: first.etag, body: Array("v3".utf8), contentType: "application/json")
        }
        let read = try await client.readVersioned(key: "k.json")
        #expect(read.body == Array("v2".utf8) && read.etag == second.etag)
    }

    /// radosgw compares If-Match with the bare stored ETag: the quoted form the server itself
    /// returns is refused, which is why `replaceObject` sends it bare (recorded so a server that
    /// changes this is noticed).
    @Test func radosgwWantsBareETags() async throws {
        let client = try await TestS3.environment().makeBucket("cond-quote")
        let first = try await client.createObjectStrictly(key: "q.json", body: Array("q1".utf8), contentType: "application/json")
        #expect(first.etag.hasPrefix("\""))
        let quoted = try await S3Client.withBody(Array("q2".utf8)) { body in
            try await client.perform("PutObject", method: "PUT", key: "q.json", headers: [(name: "If-Match", value: first.etag)], body: body, accept: [412])
        }
        #expect(quoted.status == 412)
        #expect(try await client.readVersioned(key: "q.json").body == Array("q1".utf8))
        _ = try await client.replaceObject(key: "q.json", ifMatch: first.etag, body: Array("q2".utf8), contentType: "application/json")
        #expect(try await client.readVersioned(key: "q.json").body == Array("q2".utf8))
    }

    /// If-Match on a key that does not exist is refused, never creates it; a missing key reads as nil.
    @Test func ifMatchOnMissingKeyIsRefused() async throws {
        let client = try await TestS3.environment().makeBucket("cond-missing")
        let missing = try await client.readVersioned(key: "none.json")
        #expect(missing.etag == nil && missing.body.isEmpty && missing.serverDate != nil)
        await #expect(throws: ObjectStoreError.preconditionFailed(key: "none.json")) {
            try await client.replaceObject(key: "none.json", ifMatch: "\"0123456789abcdef0123456789abcdef\"", body: Array("x".utf8), contentType: "application/json")
        }
        #expect(try await client.readVersioned(key: "none.json").etag == nil)
    }

    /// DELETE with the right If-Match removes the object. What radosgw does with a wrong one is
    /// recorded here (DELETE_IF_MATCH_HONOURED below), so a server upgrade that changes it is noticed.
    @Test func deleteIfMatch() async throws {
        let client = try await TestS3.environment().makeBucket("cond-delete")
        let written = try await client.createObjectStrictly(key: "d.json", body: Array("d".utf8), contentType: "application/json")
        var refused = false
        do {
            try await client.deleteObject(key: "d.json", ifMatch: "\"0123456789abcdef0123456789abcdef\"")
        } catch ObjectStoreError.preconditionFailed(key: "d.json") {
            refused = true
        }
        let remains = try await client.readVersioned(key: "d.json").etag != nil
        print("DELETE_IF_MATCH_HONOURED refused=\(refused) remains=\(remains)")
        #expect(refused == remains)
        if remains { try await client.deleteObject(key: "d.json", ifMatch: written.etag) }
        #expect(try await client.readVersioned(key: "d.json").etag == nil)
    }
}
