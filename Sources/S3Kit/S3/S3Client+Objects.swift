import BackupCore
import CCrypto
import Foundation
import SigV4

extension S3Client {
    /// Stores a small object in one request; returns its ETag.
    @discardableResult
    public func putObject(key: String, body: UnsafeRawBufferPointer, metadata: [String: String] = [:]) async throws -> String {
        let response = try await perform(
            "PutObject", method: "PUT", key: key, headers: S3Client.metadataHeaders(metadata), body: body)
        return response.headers["etag"] ?? ""
    }

    /// Streams the object at `key` to `sink`.
    public func getObject(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        _ = try await perform("GetObject", method: "GET", key: key, sink: sink)
    }

    /// The object's size, date, ETag and user metadata, or nil when there is none.
    public func headObject(key: String) async throws -> StoredObject? {
        let response = try await perform("HeadObject", method: "HEAD", key: key, accept: [404])
        if response.status == 404 { return nil }
        var metadata: [String: String] = [:]
        for (name, value) in response.headers where name.hasPrefix("x-amz-meta-") {
            metadata[String(name.dropFirst("x-amz-meta-".count))] = value
        }
        return StoredObject(
            key: key, size: Int64(response.headers["content-length"] ?? "") ?? 0,
            lastModified: response.headers["last-modified"].flatMap(HTTPDate.parse),
            etag: response.headers["etag"], metadata: metadata)
    }

    /// Every object under `prefix`, across all pages, in key order. Each page is parsed strictly
    /// and the pagination checked (`S3Pagination`): a listing that cannot be read whole throws,
    /// never returns part of the bucket. Task cancellation is checked before every page.
    public func listObjects(prefix: String) async throws -> [StoredObject] {
        var objects: [StoredObject] = []
        var pages = S3Pagination(
            operation: "ListObjectsV2", bucket: settings.bucket, scope: prefix, limits: .objects)
        var token: String?
        repeat {
            try pages.nextPage()
            var query: [(name: String, value: String)] = [(name: "list-type", value: "2"), (name: "prefix", value: prefix)]
            if let token { query.append((name: "continuation-token", value: token)) }
            let page = try await perform("ListObjectsV2", method: "GET", key: nil, query: query) {
                response throws(S3ResponseProblem) in try S3ListObjectsPage.decode(response.body, prefix: prefix)
            }
            for object in page.objects { try pages.item(key: object.key) }
            objects += page.objects
            token = try pages.continuation(truncated: page.isTruncated, token: page.nextToken, name: "NextContinuationToken")
        } while token != nil
        return objects
    }

    /// Deletes `keys` (each once, however often given) in batches of at most 1,000; a key that
    /// does not exist is not an error. Task cancellation is checked before every request.
    public func deleteObjects(keys: [String]) async throws {
        let keys = S3Client.unique(keys)
        guard settings.multiObjectDelete else {
            for key in keys {
                if Task.isCancelled { throw S3Error.cancelled(reason: StopReason.text) }
                try await deleteObject(key: key)
            }
            return
        }
        var start = 0
        while start < keys.count {
            let batch = Array(keys[start..<min(start + S3Client.deleteBatchLimit, keys.count)])
            start += batch.count
            // Per-key failures come back in a 200 as <Error> entries inside <DeleteResult>.
            if let failed = try await deleteObjectBatch(keys: batch).first {
                if failed.code == "AccessDenied" {
                    throw S3Error.accessDenied(operation: "DeleteObjects", bucket: settings.bucket, key: failed.key, message: failed.message)
                }
                throw S3Error.service(
                    operation: "DeleteObjects", status: 200, code: failed.code, message: "\(failed.key): \(failed.message)", requestID: nil)
            }
        }
    }

    /// Reaches the bucket and returns the service's `Date` header and the HTTP status, whatever it is.
    public func probe() async throws -> (status: Int, serverDate: Date?) {
        let response = try await perform(
            "HeadBucket", method: "HEAD", key: nil, accept: Set(300..<500))
        return (response.status, response.headers["date"].flatMap(HTTPDate.parse))
    }

    /// Base64 of the MD5 digest, the `Content-MD5` that DeleteObjects requires.
    static func md5Base64(_ bytes: UnsafeRawBufferPointer) -> String {
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 16
        digest.withUnsafeMutableBufferPointer { out in
            _ = EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &length, EVP_md5(), nil)
        }
        return Data(digest).base64EncodedString()
    }
}
