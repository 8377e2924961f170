/// The parts of an S3 error body (`<Error><Code>…`) a message needs.
public struct S3ErrorResponse: Sendable, Equatable {
    /// The S3 error code, e.g. `NoSuchBucket`.
    public var code: String
    /// S3's message.
    public var message: String
    /// The request id, for the provider's support.
    public var requestID: String?
    /// The region S3 names when the configured one is wrong.
    public var region: String?

    /// Parses an `<Error>` document; nil when the text is not well-formed XML whose root is
    /// `<Error>` with a `<Code>` (an HTML page from a proxy, an empty body).
    public init?(xml: String) {
        guard let element = try? S3XMLElement.parse(Array(xml.utf8)) else { return nil }
        self.init(element: element)
    }

    /// Reads a parsed `<Error>` element.
    init?(element: S3XMLElement) {
        guard element.name == "Error", let code = element.value("Code"), !code.isEmpty else { return nil }
        self.code = code
        self.message = element.value("Message") ?? ""
        self.requestID = element.value("RequestId")
        self.region = element.value("Region")
    }
}
