import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Conditional updates (If-Match) on the wire", .ownThreads)
struct ConditionalUpdateTests {
    /// If-Match carries the bare ETag (Ceph RGW compares only that form); 412 and AWS's 409 are
    /// `preconditionFailed`, 501 `unsupported`; a success returns the new ETag and the server's Date.
    @Test(arguments: [(412, "failed"), (409, "failed"), (404, "failed"), (501, "unsupported"), (200, "ok")])
    func replaceMapsStatuses(status: Int, expected: String) async throws {
        let transport = ScriptedTransport { _ in
            HTTPResponse(status: status, headers: ["etag": "\"new\"", "date": "Mon, 07 Dec 2026 01:00:00 GMT"],
                         body: status == 200 ? [] : Array("<Error><Code>X</Code></Error>".utf8))
        }
        let client = fakeClient(transport, maxAttempts: 1)
        let replace = { try await client.replaceObject(key: "c.json", ifMatch: "\"abc\"", body: [1], contentType: "application/json") }
        switch expected {
        case "failed": await #expect(throws: ObjectStoreError.preconditionFailed(key: "c.json")) { _ = try await replace() }
        case "unsupported": await #expect(throws: ObjectStoreError.unsupported(operation: "conditional PUT (If-Match)")) { _ = try await replace() }
        default:
            let written = try await replace()
            #expect(written.etag == "\"new\"" && written.serverDate == Date(timeIntervalSince1970: 1_796_605_200))
        }
        #expect(transport.sent.first?.headers["if-match"] == "abc")
    }

    /// A strict create never falls back to an unconditional PUT: 501 is `unsupported`, 409 and 412 `alreadyExists`.
    @Test(arguments: [(412, true), (409, true), (501, false)])
    func strictCreateNeverFallsBack(status: Int, taken: Bool) async throws {
        let transport = ScriptedTransport { _ in HTTPResponse(status: status, body: Array("<Error><Code>X</Code></Error>".utf8)) }
        let client = fakeClient(transport, maxAttempts: 1)
        let create = { try await client.createObjectStrictly(key: "c.json", body: [1], contentType: "application/json") }
        if taken {
            await #expect(throws: ObjectStoreError.alreadyExists(key: "c.json")) { _ = try await create() }
        } else {
            await #expect(throws: ObjectStoreError.unsupported(operation: "conditional PUT (If-None-Match: *)")) { _ = try await create() }
        }
        #expect(transport.sent.map(\.method) == ["PUT"])
        #expect(transport.sent[0].headers["if-none-match"] == "*")
    }

    /// Quotes and a weak prefix come off; a bare ETag stays as it is.
    @Test(arguments: [("\"abc\"", "abc"), ("abc", "abc"), ("W/\"abc\"", "abc"), ("\"", "\"")])
    func bareETag(input: String, expected: String) {
        #expect(S3Client.bareETag(input) == expected)
    }
}
