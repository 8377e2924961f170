import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// An in-memory S3 bucket behind `HTTPTransport`: enough of multipart upload, copy, head and get
/// for the uploader, plus a `fault` hook that can answer any request instead of the bucket.
final class FakeS3Transport: HTTPTransport, @unchecked Sendable {
    struct Call {
        var method: String
        var url: String
        var headers: [(name: String, value: String)]
        var bodySize: Int
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        var operation: String {
            if url.contains("?uploads") { return "CreateMultipartUpload" }
            if method == "PUT" && url.contains("partNumber=") { return header("x-amz-copy-source") != nil ? "UploadPartCopy" : "UploadPart" }
            if method == "POST" && url.contains("uploadId=") { return "CompleteMultipartUpload" }
            if method == "DELETE" && url.contains("uploadId=") { return "AbortMultipartUpload" }
            if method == "PUT" && header("x-amz-copy-source") != nil { return "CopyObject" }
            if method == "HEAD" { return "HeadObject" }
            if method == "POST" && url.contains("?delete") { return "DeleteObjects" }
            if method == "GET" { return "GetObject" }
            return method
        }
    }

    private let lock = NSLock()
    private(set) var calls: [Call] = []
    private var parts: [Int: [UInt8]] = [:]
    private(set) var object: [UInt8]?
    private(set) var metadata: [String: String] = [:]
    private(set) var aborted = 0
    private var inFlight = 0
    private(set) var maxInFlight = 0
    private(set) var completedParts = 0
    /// Seconds each UploadPart takes (to let parts overlap).
    var partDelay: Double = 0
    /// Answers a request instead of the bucket when it returns a response (or throws).
    var fault: (@Sendable (Call, Int) throws -> HTTPResponse?)?
    /// Called at the start of every UploadPart with the number of parts already stored.
    var onPart: (@Sendable (Int) -> Void)?

    /// Calls made for `operation`.
    func count(_ operation: String) -> Int { lock.withLock { calls.filter { $0.operation == operation }.count } }

    /// Sizes of the stored parts, in part order.
    var partSizes: [Int] { lock.withLock { parts.keys.sorted().map { parts[$0]!.count } } }

    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        let call = Call(method: request.method, url: request.url, headers: request.headers, bodySize: body.count)
        let attempt: Int = lock.withLock {
            calls.append(call)
            return calls.filter { $0.url == call.url && $0.method == call.method }.count
        }
        if let response = try fault?(call, attempt) { return response }
        switch call.operation {
        case "CreateMultipartUpload":
            lock.withLock {
                parts = [:]
                metadata = FakeS3Transport.meta(call)
            }
            return HTTPResponse(status: 200, body: Array("<InitiateMultipartUploadResult><UploadId>up-1</UploadId></InitiateMultipartUploadResult>".utf8))
        case "UploadPart":
            let number = Int(FakeS3Transport.query(call.url, "partNumber")!)!
            let stored = lock.withLock { () -> Int in
                inFlight += 1
                maxInFlight = max(maxInFlight, inFlight)
                return completedParts
            }
            onPart?(stored)
            if partDelay > 0 { Thread.sleep(forTimeInterval: partDelay) }
            let bytes = Array(body)
            lock.withLock {
                parts[number] = bytes
                inFlight -= 1
                completedParts += 1
            }
            return HTTPResponse(status: 200, headers: ["etag": "\"etag-\(number)\""])
        case "CompleteMultipartUpload":
            lock.withLock { object = parts.keys.sorted().flatMap { parts[$0]! } }
            return HTTPResponse(status: 200, body: Array("<CompleteMultipartUploadResult><ETag>\"final\"</ETag></CompleteMultipartUploadResult>".utf8))
        case "AbortMultipartUpload":
            lock.withLock { aborted += 1; parts = [:] }
            return HTTPResponse(status: 204)
        case "CopyObject":
            lock.withLock { metadata = FakeS3Transport.meta(call) }
            return HTTPResponse(status: 200, body: Array("<CopyObjectResult><ETag>\"copied\"</ETag></CopyObjectResult>".utf8))
        case "DeleteObjects":
            lock.withLock { object = nil }
            // Verbose mode: every key sent comes back as <Deleted>.
            let deleted = String(decoding: body, as: UTF8.self).components(separatedBy: "<Key>").dropFirst()
                .map { "<Deleted><Key>\($0.components(separatedBy: "</Key>")[0])</Key></Deleted>" }.joined()
            return HTTPResponse(status: 200, body: Array("<DeleteResult>\(deleted)</DeleteResult>".utf8))
        case "HeadObject":
            return lock.withLock {
                guard let object else { return HTTPResponse(status: 404) }
                var headers = ["content-length": "\(object.count)", "etag": "\"copied\""]
                for (k, v) in metadata { headers["x-amz-meta-\(k)"] = v }
                return HTTPResponse(status: 200, headers: headers)
            }
        default:
            return HTTPResponse(status: 400, body: Array("<Error><Code>NotImplemented</Code></Error>".utf8))
        }
    }

    static func meta(_ call: Call) -> [String: String] {
        var result: [String: String] = [:]
        for header in call.headers where header.name.hasPrefix("x-amz-meta-") {
            result[String(header.name.dropFirst("x-amz-meta-".count))] = header.value
        }
        return result
    }

    static func query(_ url: String, _ name: String) -> String? {
        URLComponents(string: url)?.queryItems?.first { $0.name == name }?.value
    }
}
