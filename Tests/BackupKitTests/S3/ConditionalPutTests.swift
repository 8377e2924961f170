import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A transport answering each request through `answer`, recording method and headers.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var sent: [(method: String, headers: [String: String])] = []
    let answer: @Sendable (HTTPRequest) -> HTTPResponse

    init(answer: @escaping @Sendable (HTTPRequest) -> HTTPResponse) { self.answer = answer }

    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        let headers = Dictionary(request.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        lock.withLock { sent.append((request.method, headers)) }
        return answer(request)
    }
}

@Suite("Conditional PUT of manifests", .ownThreads)
struct ConditionalPutTests {
    /// The manifest goes up with If-None-Match: *; a 412 means the key is taken.
    @Test func conditionalAndTaken() async throws {
        let transport = ScriptedTransport { _ in HTTPResponse(status: 412, body: Array("<Error><Code>PreconditionFailed</Code></Error>".utf8)) }
        let client = fakeClient(transport)
        await #expect(throws: ObjectStoreError.alreadyExists(key: "m.json")) {
            try await S3Client.withBody([UInt8(1)]) { try await client.putObjectIfAbsent(key: "m.json", body: $0, contentType: "application/json") }
        }
        #expect(transport.sent.count == 1)
        #expect(transport.sent[0].headers["if-none-match"] == "*")
    }

    /// A provider answering 501 NotImplemented to the condition gets a HEAD first, then a plain PUT
    /// (reported as not conditional); when the HEAD finds the key, nothing is written.
    @Test(arguments: [false, true])
    func notImplementedFallsBackToHead(exists: Bool) async throws {
        let transport = ScriptedTransport { request in
            switch request.method {
            case "HEAD": return HTTPResponse(status: exists ? 200 : 404, headers: ["content-length": "1"])
            default:
                if request.headers.contains(where: { $0.name.lowercased() == "if-none-match" }) {
                    return HTTPResponse(status: 501, body: Array("<Error><Code>NotImplemented</Code></Error>".utf8))
                }
                return HTTPResponse(status: 200, headers: ["etag": "\"abc\""])
            }
        }
        let client = fakeClient(transport)
        let put = { try await S3Client.withBody([UInt8(1)]) { try await client.putObjectIfAbsent(key: "m.json", body: $0, contentType: "application/json") } }
        if exists {
            await #expect(throws: ObjectStoreError.alreadyExists(key: "m.json")) { _ = try await put() }
            #expect(transport.sent.map(\.method) == ["PUT", "HEAD"])
        } else {
            let result = try await put()
            #expect(result.etag == "\"abc\"" && !result.conditional)
            #expect(transport.sent.map(\.method) == ["PUT", "HEAD", "PUT"])
            #expect(transport.sent[2].headers["if-none-match"] == nil)
        }
    }
}
