import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A transport that answers with `answer(request, body text, call number)` and keeps every
/// request and body, for the strict-response and pagination tests.
final class RecordingS3Transport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var urls: [String] = []
    private(set) var bodies: [String] = []
    let answer: @Sendable (HTTPRequest, String, Int) -> HTTPResponse

    init(answer: @escaping @Sendable (HTTPRequest, String, Int) -> HTTPResponse) { self.answer = answer }

    /// Answers every request with `xml` and status 200.
    convenience init(always xml: String) {
        self.init { _, _, _ in HTTPResponse(status: 200, body: Array(xml.utf8)) }
    }

    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        let text = String(decoding: body, as: UTF8.self)
        let call = lock.withLock { () -> Int in
            urls.append(request.url)
            bodies.append(text)
            return urls.count
        }
        return answer(request, text, call)
    }

    /// The keys of each DeleteObjects request body, in order.
    var deletedKeyBatches: [[String]] {
        lock.withLock {
            bodies.filter { $0.hasPrefix("<Delete>") }.map { body in
                body.components(separatedBy: "<Key>").dropFirst().map { $0.components(separatedBy: "</Key>")[0] }
            }
        }
    }
}

/// A ListObjectsV2 page with `keys` (size 1 each).
func listPage(_ keys: [String], truncated: Bool, token: String? = nil) -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
        + "<IsTruncated>\(truncated)</IsTruncated>" + (token.map { "<NextContinuationToken>\($0)</NextContinuationToken>" } ?? "")
        + keys.map { "<Contents><Key>\($0)</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>\"e\"</ETag><Size>1</Size></Contents>" }.joined()
        + "</ListBucketResult>"
}
