import BackupCore

/// A DeleteObjects answer (verbose mode), checked against the request: every key sent is either
/// `<Deleted>` or an `<Error>`, and no other key appears.
struct S3DeleteResult: Sendable {
    var deleted: [String]
    var refused: [DeletionRefusal]

    static func decode(_ body: [UInt8], requested: [String]) throws(S3ResponseProblem) -> S3DeleteResult {
        let root = try S3XMLElement.document(body, root: "DeleteResult")
        var deleted: [String] = []
        for element in root.children("Deleted") { deleted.append(try element.required("Key")) }
        var refused: [DeletionRefusal] = []
        for element in root.children("Error") {
            refused.append(
                DeletionRefusal(key: try element.required("Key"), code: try element.required("Code"), message: element.value("Message") ?? ""))
        }
        let wanted = Set(requested)
        var answered = Set<String>()
        for key in deleted + refused.map(\.key) {
            guard wanted.contains(key) else { throw .malformed("the result names \(key), which was not in the request") }
            guard answered.insert(key).inserted else { throw .malformed("the result names \(key) twice") }
        }
        if let missing = requested.first(where: { !answered.contains($0) }) {
            throw .malformed("\(wanted.count - answered.count) of \(wanted.count) keys are neither <Deleted> nor <Error>, e.g. \(missing)")
        }
        return S3DeleteResult(deleted: deleted, refused: refused)
    }
}
