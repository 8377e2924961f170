import Foundation

extension S3Client {
    /// Deletes one object (DeleteObject); a missing key is not an error.
    public func deleteObject(key: String) throws {
        _ = try perform("DeleteObject", method: "DELETE", key: key, accept: [404])
    }

    /// Deletes up to 1,000 keys with one DeleteObjects request and returns the per-key errors
    /// S3 reports inside its 200 answer (quiet mode: deleted keys are not listed).
    public func deleteObjectBatch(keys: [String]) throws -> [DeletionRefusal] {
        precondition(keys.count <= 1000, "DeleteObjects takes at most 1,000 keys")
        guard !keys.isEmpty else { return [] }
        var xml = "<Delete><Quiet>true</Quiet>"
        for key in keys { xml += "<Object><Key>\(S3XML.escape(key))</Key></Object>" }
        xml += "</Delete>"
        let body = Array(xml.utf8)
        let response = try body.withUnsafeBytes { bytes in
            try perform(
                "DeleteObjects", method: "POST", key: nil, query: [(name: "delete", value: "")],
                headers: [(name: "Content-MD5", value: S3Client.md5Base64(bytes))], body: bytes)
        }
        return S3XML.blocks("Error", in: response.text).map { block in
            DeletionRefusal(
                key: S3XML.value("Key", in: block) ?? "", code: S3XML.value("Code", in: block) ?? "Error",
                message: S3XML.value("Message", in: block) ?? "")
        }
    }
}
