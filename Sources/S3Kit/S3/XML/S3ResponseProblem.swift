/// Why a 2xx response body cannot be used: the client turns it into an `S3Error` naming the
/// operation and bucket and retries it under the destination's retry policy.
enum S3ResponseProblem: Error, Sendable, Equatable {
    /// Not well-formed XML, the wrong root element, a required element missing or unreadable.
    case malformed(String)
    /// A 2xx whose root is `<Error>`: S3 reports the failure in the body (CompleteMultipartUpload does).
    case errorBody(S3ErrorResponse)
}
