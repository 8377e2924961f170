import BackupCore
import Foundation

extension S3Client {
    /// Stores a small object at `key` only when no object has that key (`If-None-Match: *`).
    ///
    /// A provider that answers 501 NotImplemented to the condition gets a HEAD first and an
    /// unconditional PUT (`conditional` is false then: a writer racing in between is not detected).
    /// Throws `ObjectStoreError.alreadyExists` when the key is taken.
    public func putObjectIfAbsent(
        key: String, body: UnsafeRawBufferPointer, contentType: String, metadata: [String: String] = [:]
    ) async throws -> (etag: String, conditional: Bool) {
        let headers = [(name: "Content-Type", value: contentType)] + S3Client.metadataHeaders(metadata)
        let response = try await perform(
            "PutObject", method: "PUT", key: key, headers: headers + [(name: "If-None-Match", value: "*")], body: body,
            accept: [412, 501])
        switch response.status {
        case 412:
            throw ObjectStoreError.alreadyExists(key: key)
        case 501:
            logger.notice(
                "the provider does not support conditional PUT (If-None-Match); checking with HEAD first",
                metadata: ["s3.key": "\(key)"])
            if try await headObject(key: key) != nil { throw ObjectStoreError.alreadyExists(key: key) }
            let plain = try await perform("PutObject", method: "PUT", key: key, headers: headers, body: body)
            return (plain.headers["etag"] ?? "", false)
        default:
            return (response.headers["etag"] ?? "", true)
        }
    }
}
