import BackupKit
import Foundation
import S3Kit

/// An `HTTPTransport` over the real one that answers 503 SlowDown (without sending) to the first
/// try of the requests `matching` selects.
final class FaultInjectingTransport: HTTPTransport, @unchecked Sendable {
    private let inner: any HTTPTransport
    private let matching: @Sendable (HTTPRequest) -> Bool
    private let lock = NSLock()
    private var injected: Set<String> = []
    private(set) var log: [String] = []

    init(inner: any HTTPTransport, matching: @escaping @Sendable (HTTPRequest) -> Bool) {
        self.inner = inner
        self.matching = matching
    }

    var injectedCount: Int { lock.withLock { injected.count } }

    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        let inject = matching(request) && lock.withLock { injected.insert(request.method + request.url).inserted }
        if inject {
            let xml = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault</RequestId></Error>"
            return HTTPResponse(status: 503, headers: [:], body: Array(xml.utf8))
        }
        return try inner.send(request, body: body, sink: sink)
    }
}
