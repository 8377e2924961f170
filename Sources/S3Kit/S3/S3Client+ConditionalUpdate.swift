import BackupCore
import Foundation

/// A small object read whole (nil when there is none), with its version and the server's clock.
public struct VersionedRead: Sendable, Equatable {
    /// The bytes read (empty when there is no object).
    public var body: [UInt8]
    /// The ETag to name in a later `If-Match`; nil when there is no object.
    public var etag: String?
    /// The server's `Date` header of the answer, 404 included (nil when the server sent none).
    public var serverDate: Date?

    /// Describes a read; `etag` nil means no object.
    public init(body: [UInt8] = [], etag: String?, serverDate: Date?) {
        self.body = body
        self.etag = etag
        self.serverDate = serverDate
    }
}

/// What a conditional write left: the new version's ETag and the server's clock at that moment.
public struct ConditionalWrite: Sendable, Equatable {
    /// The ETag of the version just written.
    public var etag: String
    /// The server's `Date` header of the answer (nil when the server sent none).
    public var serverDate: Date?

    /// Describes a write.
    public init(etag: String, serverDate: Date?) {
        self.etag = etag
        self.serverDate = serverDate
    }
}

extension S3Client {
    /// Creates `key` only when no object has it (`If-None-Match: *`); never falls back to an
    /// unconditional PUT (unlike `putObjectIfAbsent`), because coordination on a provider that
    /// ignores the condition is not coordination. 412 (and AWS's 409 for a concurrent conditional
    /// write) throws `ObjectStoreError.alreadyExists`, 501 `ObjectStoreError.unsupported`.
    ///
    /// A retried request whose first attempt did land answers 412 too: callers that must know
    /// read the object back and compare bytes (`ClaimStore` does).
    public func createObjectStrictly(key: String, body: [UInt8], contentType: String) async throws -> ConditionalWrite {
        let response = try await S3Client.withBody(body) { bytes in
            try await perform(
                "PutObject", method: "PUT", key: key,
                headers: [(name: "Content-Type", value: contentType), (name: "If-None-Match", value: "*")], body: bytes,
                accept: [409, 412, 501])
        }
        switch response.status {
        // 409 ConditionalRequestConflict (AWS): a concurrent conditional write to the key won the race.
        case 409, 412: throw ObjectStoreError.alreadyExists(key: key)
        case 501: throw ObjectStoreError.unsupported(operation: "conditional PUT (If-None-Match: *)")
        default: return ConditionalWrite(etag: response.headers["etag"] ?? "", serverDate: Self.serverDate(response))
        }
    }

    /// Replaces `key` only when its current ETag is `etag` (`If-Match`). 412 (another version,
    /// or no object; 409 a concurrent conditional write) throws `ObjectStoreError.preconditionFailed`; 501 `ObjectStoreError.unsupported`.
    public func replaceObject(key: String, ifMatch etag: String, body: [UInt8], contentType: String) async throws -> ConditionalWrite {
        let response = try await S3Client.withBody(body) { bytes in
            try await perform(
                "PutObject", method: "PUT", key: key,
                headers: [(name: "Content-Type", value: contentType), (name: "If-Match", value: Self.bareETag(etag))], body: bytes,
                accept: [404, 409, 412, 501])
        }
        switch response.status {
        case 404, 409, 412: throw ObjectStoreError.preconditionFailed(key: key)
        case 501: throw ObjectStoreError.unsupported(operation: "conditional PUT (If-Match)")
        default: return ConditionalWrite(etag: response.headers["etag"] ?? "", serverDate: Self.serverDate(response))
        }
    }

    /// Reads a small object whole with its ETag and the server's `Date` (also when there is none).
    public func readVersioned(key: String) async throws -> VersionedRead {
        let response = try await perform("GetObject", method: "GET", key: key, accept: [404])
        if response.status == 404 { return VersionedRead(etag: nil, serverDate: Self.serverDate(response)) }
        guard let etag = response.headers["etag"], !etag.isEmpty else {
            throw S3Error.invalidResponse(operation: "GetObject", detail: "\(key) came back without an ETag; conditional writes need one")
        }
        return VersionedRead(body: response.body, etag: etag, serverDate: Self.serverDate(response))
    }

    /// Deletes `key` only when its ETag is `etag`, where the provider honours `If-Match` on
    /// DeleteObject (AWS since 2024); returns the server's `Date`. A provider that ignores the
    /// header deletes unconditionally (radosgw 16 does: see `ConditionalWriteIntegrationTests`),
    /// so callers delete only what no live host can still be renewing (claims past retention).
    @discardableResult
    public func deleteObject(key: String, ifMatch etag: String) async throws -> Date? {
        let response = try await perform(
            "DeleteObject", method: "DELETE", key: key, headers: [(name: "If-Match", value: Self.bareETag(etag))], accept: [404, 412])
        if response.status == 412 { throw ObjectStoreError.preconditionFailed(key: key) }
        return Self.serverDate(response)
    }

    /// The ETag without its quotes, as `If-Match` sends it: Ceph RGW 16 compares the header with
    /// the bare stored value and refuses every quoted one (412), while AWS compares either form
    /// (see `ConditionalWriteIntegrationTests`).
    static func bareETag(_ etag: String) -> String {
        var text = Substring(etag)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = text.dropFirst().dropLast() }
        return String(text)
    }

    /// The answer's `Date` header, parsed.
    static func serverDate(_ response: HTTPResponse) -> Date? {
        response.headers["date"].flatMap(HTTPDate.parse)
    }
}
