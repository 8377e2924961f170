import BackupCore

/// One ListMultipartUploads page, read strictly: every `<Upload>` has a key and an upload id.
struct S3ListUploadsPage: Sendable {
    var uploads: [OpenUpload]
    var isTruncated: Bool
    var nextKeyMarker: String?
    var nextUploadIDMarker: String?

    static func decode(_ body: [UInt8], prefix: String) throws(S3ResponseProblem) -> S3ListUploadsPage {
        let root = try S3XMLElement.document(body, root: "ListMultipartUploadsResult")
        var uploads: [OpenUpload] = []
        for upload in root.children("Upload") {
            let key = try upload.required("Key")
            guard key.utf8.starts(with: prefix.utf8) else {
                throw .malformed("<Upload> names \(key), which is not under the prefix \(prefix)")
            }
            // An unreadable start time counts as "just started", so crash recovery never takes a
            // running upload (another backupd's, a run-now's) for a stale one and aborts it.
            uploads.append(
                OpenUpload(
                    key: key, uploadID: try upload.required("UploadId"),
                    initiated: (try? upload.optionalDate("Initiated")).flatMap { $0 } ?? .distantFuture))
        }
        return S3ListUploadsPage(
            uploads: uploads, isTruncated: try root.requiredBool("IsTruncated"), nextKeyMarker: root.value("NextKeyMarker"),
            nextUploadIDMarker: root.value("NextUploadIdMarker"))
    }
}
