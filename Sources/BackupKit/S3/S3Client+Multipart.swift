import Foundation
import SigV4

extension S3Client {
    /// Starts a multipart upload of `key` with user metadata; returns its upload id.
    public func createMultipartUpload(key: String, metadata: [String: String] = [:]) throws -> String {
        let response = try perform(
            "CreateMultipartUpload", method: "POST", key: key, query: [(name: "uploads", value: "")],
            headers: S3Client.metadataHeaders(metadata))
        guard let id = S3XML.value("UploadId", in: response.text), !id.isEmpty else {
            throw S3Error.invalidResponse(operation: "CreateMultipartUpload", detail: "no UploadId in \(response.text.prefix(200))")
        }
        return id
    }

    /// Sends one part; `sha256` is the part's hex digest, sent as `x-amz-content-sha256`. Returns its ETag.
    public func uploadPart(key: String, uploadID: String, number: Int, body: UnsafeRawBufferPointer, sha256: String) throws -> String {
        let response = try perform(
            "UploadPart", method: "PUT", key: key,
            query: [(name: "partNumber", value: "\(number)"), (name: "uploadId", value: uploadID)],
            body: body, payloadHash: sha256)
        guard let etag = response.headers["etag"] else {
            throw S3Error.invalidResponse(operation: "UploadPart", detail: "part \(number) has no ETag")
        }
        return etag
    }

    /// Completes an upload from its parts (any order; sorted here). Returns the object's ETag.
    @discardableResult
    public func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) throws -> String {
        var xml = "<CompleteMultipartUpload>"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = Array(xml.utf8)
        let response = try body.withUnsafeBytes { bytes in
            try perform(
                "CompleteMultipartUpload", method: "POST", key: key, query: [(name: "uploadId", value: uploadID)],
                body: bytes, errorIn200: true)
        }
        return S3XML.value("ETag", in: response.text) ?? ""
    }

    /// Aborts an upload; one that no longer exists is not an error.
    public func abortMultipartUpload(key: String, uploadID: String) throws {
        do {
            _ = try perform(
                "AbortMultipartUpload", method: "DELETE", key: key, query: [(name: "uploadId", value: uploadID)])
        } catch S3Error.noSuchUpload {
            return
        }
    }

    /// The parts S3 holds for an open upload (all pages).
    public func listParts(key: String, uploadID: String) throws -> [S3Part] {
        var parts: [S3Part] = []
        var marker: String?
        repeat {
            var query: [(name: String, value: String)] = [(name: "uploadId", value: uploadID)]
            if let marker { query.append((name: "part-number-marker", value: marker)) }
            let text = try perform("ListParts", method: "GET", key: key, query: query).text
            for block in S3XML.blocks("Part", in: text) {
                parts.append(
                    S3Part(
                        number: Int(S3XML.value("PartNumber", in: block) ?? "") ?? 0,
                        etag: S3XML.value("ETag", in: block) ?? "",
                        size: Int64(S3XML.value("Size", in: block) ?? "") ?? 0))
            }
            marker = S3XML.value("IsTruncated", in: text) == "true" ? S3XML.value("NextPartNumberMarker", in: text) : nil
        } while marker != nil
        return parts
    }

    /// Multipart uploads in progress under `prefix` (all pages).
    public func listMultipartUploads(prefix: String) throws -> [OpenUpload] {
        var uploads: [OpenUpload] = []
        var keyMarker: String?
        var idMarker: String?
        repeat {
            var query: [(name: String, value: String)] = [(name: "uploads", value: ""), (name: "prefix", value: prefix)]
            if let keyMarker { query.append((name: "key-marker", value: keyMarker)) }
            if let idMarker { query.append((name: "upload-id-marker", value: idMarker)) }
            let text = try perform("ListMultipartUploads", method: "GET", key: nil, query: query).text
            for block in S3XML.blocks("Upload", in: text) {
                // An unreadable start time counts as "just started", so crash recovery never takes a
                // running upload (another backupd's, a run-now's) for a stale one and aborts it.
                uploads.append(
                    OpenUpload(
                        key: S3XML.value("Key", in: block) ?? "", uploadID: S3XML.value("UploadId", in: block) ?? "",
                        initiated: S3Client.parseTimestamp(S3XML.value("Initiated", in: block)) ?? .distantFuture))
            }
            if S3XML.value("IsTruncated", in: text) == "true" {
                keyMarker = S3XML.value("NextKeyMarker", in: text)
                idMarker = S3XML.value("NextUploadIdMarker", in: text)
            } else {
                keyMarker = nil
            }
        } while keyMarker != nil
        return uploads
    }

    /// `x-amz-meta-*` headers for user metadata.
    static func metadataHeaders(_ metadata: [String: String]) -> [(name: String, value: String)] {
        metadata.sorted { $0.key < $1.key }.map { (name: "x-amz-meta-\($0.key.lowercased())", value: $0.value) }
    }

    /// S3's ISO 8601 timestamps, with or without fractional seconds.
    static func parseTimestamp(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
