import BackupCore

/// One ListObjectsV2 page, read strictly: every `<Contents>` has a key under the prefix and a
/// size, and the page says whether it is the last.
struct S3ListObjectsPage: Sendable {
    var objects: [StoredObject]
    var isTruncated: Bool
    var nextToken: String?

    static func decode(_ body: [UInt8], prefix: String) throws(S3ResponseProblem) -> S3ListObjectsPage {
        let root = try S3XMLElement.document(body, root: "ListBucketResult")
        var objects: [StoredObject] = []
        for contents in root.children("Contents") {
            let key = try contents.required("Key")
            guard key.utf8.starts(with: prefix.utf8) else {
                throw .malformed("<Contents> lists \(key), which is not under the prefix \(prefix)")
            }
            objects.append(
                StoredObject(
                    key: key, size: try contents.requiredInt("Size", in: 0...Int64.max),
                    lastModified: try contents.optionalDate("LastModified"), etag: contents.value("ETag")))
        }
        // Without a delimiter, KeyCount counts exactly the <Contents> of the page.
        if root.value("KeyCount") != nil {
            let count = try root.requiredInt("KeyCount", in: 0...Int64.max)
            guard count == objects.count else {
                throw .malformed("<KeyCount> says \(count) keys but the page lists \(objects.count)")
            }
        }
        return S3ListObjectsPage(
            objects: objects, isTruncated: try root.requiredBool("IsTruncated"), nextToken: root.value("NextContinuationToken"))
    }
}
