/// The S3 test server (radosgw, verifying SigV4) and the credentials of its test user.
struct S3TestServer: Sendable {
    let endpoint: String
    let region: String
    let accessKey: String
    let secretKey: String
}
