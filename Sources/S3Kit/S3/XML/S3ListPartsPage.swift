/// One ListParts page, read strictly: every `<Part>` has a number S3 allows, an ETag and a size.
struct S3ListPartsPage: Sendable {
    var parts: [S3Part]
    var isTruncated: Bool
    var nextMarker: String?

    static func decode(_ body: [UInt8]) throws(S3ResponseProblem) -> S3ListPartsPage {
        let root = try S3XMLElement.document(body, root: "ListPartsResult")
        var parts: [S3Part] = []
        for part in root.children("Part") {
            parts.append(
                S3Part(
                    number: Int(try part.requiredInt("PartNumber", in: 1...10_000)), etag: try part.required("ETag"),
                    size: try part.requiredInt("Size", in: 0...Int64.max)))
        }
        return S3ListPartsPage(parts: parts, isTruncated: try root.requiredBool("IsTruncated"), nextMarker: root.value("NextPartNumberMarker"))
    }
}
