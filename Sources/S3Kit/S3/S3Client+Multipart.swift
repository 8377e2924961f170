import BackupCore
import Foundation
import SigV4

extension S3Client {
    /// Starts a multipart upload of `key` with user metadata; returns its upload id.
    public func createMultipartUpload(key: String, metadata: [String: String] = [:]) async throws -> String {
        return try await perform(
            "CreateMultipartUpload", method: "POST", key: key, query: [(name: "uploads", value: "")],
            headers: S3Client.metadataHeaders(metadata)
        ) { response throws(S3ResponseProblem) in
            try S3XMLElement.document(response.body, root: "InitiateMultipartUploadResult").required("UploadId")
        }
    }

    /// Sends one part; `sha256` is the part's hex digest, sent as `x-amz-content-sha256`. Returns its ETag.
    public func uploadPart(
        key: String, uploadID: String, number: Int, body: UnsafeRawBufferPointer, sha256: String
    ) async throws -> String {
        let response = try await perform(
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
    public func completeMultipartUpload(
        key: String, uploadID: String, parts: [(number: Int, etag: String)]
    ) async throws -> String {
        var xml = "<CompleteMultipartUpload>"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = Array(xml.utf8)
        // S3 may answer 200 and report a failure as an <Error> document (even after a delay, with
        // whitespace sent to keep the connection open): only a CompleteMultipartUploadResult is success.
        return try await S3Client.withBody(body) { bytes in
            try await perform(
                "CompleteMultipartUpload", method: "POST", key: key, query: [(name: "uploadId", value: uploadID)],
                body: bytes
            ) { response throws(S3ResponseProblem) in
                // radosgw 16 answers the first Complete with an empty <ETag>: the document is what counts.
                try S3XMLElement.document(response.body, root: "CompleteMultipartUploadResult").value("ETag") ?? ""
            }
        }
    }

    /// Aborts an upload; one that no longer exists is not an error. `budget` shortens the retry
    /// budget (after a failure, so that a dead endpoint does not hold the run for minutes more).
    public func abortMultipartUpload(key: String, uploadID: String, budget: Double? = nil) async throws {
        do {
            _ = try await perform(
                "AbortMultipartUpload", method: "DELETE", key: key, query: [(name: "uploadId", value: uploadID)], budget: budget)
        } catch S3Error.noSuchUpload {
            return
        }
    }

    /// The parts S3 holds for an open upload (all pages, each parsed strictly; part numbers must
    /// increase and markers advance). Task cancellation is checked before every page.
    public func listParts(key: String, uploadID: String) async throws -> [S3Part] {
        var parts: [S3Part] = []
        var pages = S3Pagination(operation: "ListParts", bucket: settings.bucket, scope: key, limits: .parts)
        var marker: String?
        repeat {
            try pages.nextPage()
            var query: [(name: String, value: String)] = [(name: "uploadId", value: uploadID)]
            if let marker { query.append((name: "part-number-marker", value: marker)) }
            let page = try await perform("ListParts", method: "GET", key: key, query: query) {
                response throws(S3ResponseProblem) in try S3ListPartsPage.decode(response.body)
            }
            for part in page.parts {
                // Zero-padded, so that the byte order of the text is the numbers' order.
                try pages.item(key: String(repeating: "0", count: max(0, 5 - String(part.number).count)) + String(part.number))
            }
            parts += page.parts
            marker = try pages.continuation(truncated: page.isTruncated, token: page.nextMarker, name: "NextPartNumberMarker")
        } while marker != nil
        return parts
    }

    /// Multipart uploads in progress under `prefix` (all pages, each parsed strictly; keys must
    /// not go back, no upload may repeat and the markers must advance).
    public func listMultipartUploads(prefix: String) async throws -> [OpenUpload] {
        var uploads: [OpenUpload] = []
        var pages = S3Pagination(
            operation: "ListMultipartUploads", bucket: settings.bucket, scope: prefix, limits: .uploads)
        var seen = Set<String>()
        var markers: (key: String, uploadID: String)?
        repeat {
            try pages.nextPage()
            var query: [(name: String, value: String)] = [(name: "uploads", value: ""), (name: "prefix", value: prefix)]
            if let markers {
                query.append((name: "key-marker", value: markers.key))
                if !markers.uploadID.isEmpty { query.append((name: "upload-id-marker", value: markers.uploadID)) }
            }
            let page = try await perform("ListMultipartUploads", method: "GET", key: nil, query: query) {
                response throws(S3ResponseProblem) in try S3ListUploadsPage.decode(response.body, prefix: prefix)
            }
            for upload in page.uploads { try pages.item(key: upload.key, id: upload.uploadID, seen: &seen) }
            uploads += page.uploads
            let idMarker = page.nextUploadIDMarker ?? ""
            let token = try pages.continuation(
                truncated: page.isTruncated, token: page.nextKeyMarker.map { "\($0)\u{0}\(idMarker)" }, name: "NextKeyMarker")
            markers = token == nil ? nil : (page.nextKeyMarker ?? "", idMarker)
        } while markers != nil
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
