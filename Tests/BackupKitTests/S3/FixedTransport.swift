import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A transport that answers every request with the same response and counts the calls.
final class FixedTransport: HTTPTransport, @unchecked Sendable {
    let response: HTTPResponse
    private let lock = NSLock()
    private(set) var requests: [HTTPRequest] = []
    init(_ response: HTTPResponse) { self.response = response }
    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        lock.withLock { requests.append(request) }
        return response
    }
}
