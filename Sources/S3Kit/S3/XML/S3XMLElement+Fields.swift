import Foundation

extension S3XMLElement {
    /// Parses `body` as a response whose document element must be `root`; a body whose root is
    /// `<Error>` throws `.errorBody`, anything else `.malformed`.
    static func document(_ body: [UInt8], root: String) throws(S3ResponseProblem) -> S3XMLElement {
        let element = try parse(body)
        if element.name == "Error", root != "Error" {
            guard let error = S3ErrorResponse(element: element) else {
                throw .malformed("an <Error> document without a <Code>")
            }
            throw .errorBody(error)
        }
        guard element.name == root else {
            throw .malformed("the document element is <\(element.name)>, expected <\(root)>")
        }
        return element
    }

    /// The text of the required child `name`; `allowEmpty: false` also refuses an empty one.
    func required(_ name: String, allowEmpty: Bool = false) throws(S3ResponseProblem) -> String {
        guard let value = value(name) else { throw .malformed("<\(self.name)> has no <\(name)>") }
        guard allowEmpty || !value.isEmpty else { throw .malformed("<\(self.name)> has an empty <\(name)>") }
        return value
    }

    /// The required child `name` as S3's `true`/`false`.
    func requiredBool(_ name: String) throws(S3ResponseProblem) -> Bool {
        switch try required(name).trimmingCharacters(in: .whitespacesAndNewlines) {
        case "true": return true
        case "false": return false
        case let other: throw .malformed("<\(self.name)><\(name)> is \"\(other.prefix(40))\", not true or false")
        }
    }

    /// The required child `name` as a whole number in `range`.
    func requiredInt(_ name: String, in range: ClosedRange<Int64>) throws(S3ResponseProblem) -> Int64 {
        let text = try required(name)
        guard let number = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), range.contains(number) else {
            throw .malformed("<\(self.name)><\(name)> is \"\(text.prefix(40))\", not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    /// The optional child `name` as an S3 timestamp; present but unreadable is an error.
    func optionalDate(_ name: String) throws(S3ResponseProblem) -> Date? {
        guard let text = value(name) else { return nil }
        guard let date = S3Client.parseTimestamp(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .malformed("<\(self.name)><\(name)> is \"\(text.prefix(40))\", not an ISO 8601 time")
        }
        return date
    }
}
