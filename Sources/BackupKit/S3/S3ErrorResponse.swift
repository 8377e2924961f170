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

    /// Parses an `<Error>` body; nil when the text has none.
    public init?(xml: String) {
        guard let error = S3XML.blocks("Error", in: xml).first, let code = S3XML.value("Code", in: error) else { return nil }
        self.code = code
        self.message = S3XML.value("Message", in: error) ?? ""
        self.requestID = S3XML.value("RequestId", in: error)
        self.region = S3XML.value("Region", in: error)
    }
}
