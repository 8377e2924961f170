import BackupCore
import Foundation

extension S3Client {
    /// DeleteObjects takes at most this many keys.
    static let deleteBatchLimit = 1000

    /// Deletes one object (DeleteObject); a missing key is not an error.
    public func deleteObject(key: String) async throws {
        _ = try await perform("DeleteObject", method: "DELETE", key: key, accept: [404])
    }

    /// Deletes up to 1,000 distinct keys (a key given twice is sent once) with one DeleteObjects
    /// request and returns the per-key errors S3 reports inside its 200 answer. The answer is
    /// verbose and checked: every key sent must come back as deleted or refused.
    public func deleteObjectBatch(keys: [String]) async throws -> [DeletionRefusal] {
        let keys = S3Client.unique(keys)
        guard !keys.isEmpty else { return [] }
        guard keys.count <= S3Client.deleteBatchLimit else {
            throw S3Error.invalidResponse(
                operation: "DeleteObjects", detail: "\(keys.count) keys in one request, more than S3's \(S3Client.deleteBatchLimit); nothing was sent")
        }
        var xml = "<Delete><Quiet>false</Quiet>"
        for key in keys { xml += "<Object><Key>\(S3XML.escape(key))</Key></Object>" }
        xml += "</Delete>"
        let body = Array(xml.utf8)
        let result = try await S3Client.withBody(body) { bytes in
            try await perform(
                "DeleteObjects", method: "POST", key: nil, query: [(name: "delete", value: "")],
                headers: [(name: "Content-MD5", value: S3Client.md5Base64(bytes))], body: bytes
            ) { response throws(S3ResponseProblem) in try S3DeleteResult.decode(response.body, requested: keys) }
        }
        return result.refused
    }

    /// `keys` in their first order, each once.
    static func unique(_ keys: [String]) -> [String] {
        var seen = Set<String>()
        return keys.filter { seen.insert($0).inserted }
    }
}
