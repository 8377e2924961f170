import Foundation
import Testing
import TestThreads
@testable import BackupKit

@Suite("Conditional updates (If-Match) on the wire", .ownThreads)
struct ConditionalUpdateTests {
    /// If-Match carries the bare ETag (Ceph RGW compares only that form); 412 and AWS's 409 are
    /// `preconditionFailed`, 501 `unsupported`; a success returns the new ETag and the server's Date.
    @Test(arguments: [(412, "failed"), (409, "failed"), (404, "failed"), (501, "unsupported"), (200, "ok")])
    func replaceMapsStatuses(status: Int, expected: String) throws {
        let transport = ScriptedTransport { _ in
            HTTPResponse(status: status, headers: ["etag": "\"new\"", "date": "Mon, 07 Dec 2026 01:00:00 GMT"],
                         body: status == 200 ? [] : Array("<Error><Code>X</Code></Error>".utf8))
        }
        let client = fakeClient(transport, maxAttempts: 1)
        let replace = { try client.replaceObject(key: "c.json", ifMatch: "\"abc\"", body: [1], contentType: "application/json") }
        switch expected {
        case "failed": #expect(throws: ObjectStoreError.preconditionFailed(key: "c.json")) { _ = try replace() }
        case "unsupported": #expect(throws: ObjectStoreError.unsupported(operation: "conditional PUT (If-Match)")) { _ = try replace() }
        default:
            let written = try replace()
            #expect(written.etag == "\"new\"" && written.serverDate == Date(timeIntervalSince1970: 1_796_605_200))
        }
        #expect(transport.sent.first?.headers["if-match"] == "abc")
    }

    /// A strict create never falls back to an unconditional PUT: 501 is `unsupported`, 409 and 412 `alreadyExists`.
    @Test(arguments: [(412, true), (409, true), (501, false)])
    func strictCreateNeverFallsBack(status: Int, taken: Bool) throws {
        let transport = ScriptedTransport { _ in HTTPResponse(status: status, body: Array("<Error><Code>X</Code></Error>".utf8)) }
        let client = fakeClient(transport, maxAttempts: 1)
        let create = { try client.createObjectStrictly(key: "c.json", body: [1], contentType: "application/json") }
        if taken {
            #expect(throws: ObjectStoreError.alreadyExists(key: "c.json")) { _ = try create() }
        } else {
            #expect(throws: ObjectStoreError.unsupported(operation: "conditional PUT (If-None-Match: *)")) { _ = try create() }
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
