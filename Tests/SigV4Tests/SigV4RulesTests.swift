import Foundation
import SigV4
import Testing

let signer = SigV4Signer(
    credentials: SigV4Credentials(accessKeyId: "AKID", secretAccessKey: "Zq9-not-shown-Kx"), region: "default")
let date = Date(timeIntervalSince1970: 1_700_000_000)

/// Keys are encoded once with upper-case hex: `+` is %2B, space %20, unicode as UTF-8 bytes, `/` kept.
@Test(arguments: [
    ("/b/a+b c", "/b/a%2Bb%20c"),
    ("/b/x=y:z~w", "/b/x%3Dy%3Az~w"),
    ("/b/caf\u{E9}/\u{1F600}", "/b/caf%C3%A9/%F0%9F%98%80"),
    ("/b/already%20encoded", "/b/already%2520encoded"),
    ("/b/../x/./y//z", "/b/../x/./y//z"),
])
func pathEncodedOnceNeverNormalised(path: String, expected: String) {
    let signed = signer.sign(SigV4Request(method: "GET", host: "h", path: path), date: date)
    #expect(signed.pathAndQuery == expected)
    #expect(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[1] == Substring(expected))
}

/// A bare `?uploads` signs as `uploads=`; query names and values are encoded (`/` too) and sorted.
@Test func querySortedAndEncoded() {
    let signed = signer.sign(
        SigV4Request(
            method: "GET", host: "h", path: "/b",
            query: [(name: "uploads", value: ""), (name: "prefix", value: "a/b c+"), (name: "delimiter", value: "/")]),
        date: date)
    #expect(signed.pathAndQuery == "/b?delimiter=%2F&prefix=a%2Fb%20c%2B&uploads=")
}

/// A session token is sent and signed; the host keeps a non-default port; every header sent is signed.
@Test func sessionTokenAndPortAreSigned() {
    let withToken = SigV4Signer(
        credentials: SigV4Credentials(accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: "tok en"),
        region: "default")
    let signed = withToken.sign(
        SigV4Request(method: "PUT", host: "127.0.0.1:8080", path: "/b/k", headers: [(name: "x-amz-meta-sha256", value: "ab")]),
        date: date)
    #expect(signed.header("x-amz-security-token") == "tok en")
    #expect(signed.header("host") == "127.0.0.1:8080")
    #expect(signed.canonicalRequest.contains("host:127.0.0.1:8080\n"))
    #expect(signed.authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-sha256;x-amz-security-token,"))
    for header in signed.headers where header.name != "Authorization" {
        #expect(signed.authorization.contains(header.name.lowercased()))
    }
}

/// The secret never appears in anything the signer returns or prints.
@Test func secretNeverInOutput() {
    let signed = signer.sign(SigV4Request(method: "GET", host: "h", path: "/"), date: date)
    let everything = signed.headers.map { "\($0.name): \($0.value)" }.joined() + signed.canonicalRequest
        + signed.stringToSign + "\(signer.credentials)"
    #expect(!everything.contains("Zq9-not-shown-Kx"))
}

/// Signing on a new day uses that day's key (the cache does not leak across days).
@Test func signingKeyFollowsTheDay() {
    let local = SigV4Signer(credentials: SigV4Credentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), region: "us-east-1")
    let request = SigV4Request(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/", query: [(name: "lifecycle", value: "")])
    let other = local.sign(request, date: Date(timeIntervalSince1970: 1_369_353_600 + 86_400 * 3))
    let published = local.sign(request, date: Date(timeIntervalSince1970: 1_369_353_600))
    #expect(published.authorization.hasSuffix("fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    #expect(other.authorization != published.authorization)
}

/// The incremental hasher matches the one-shot digest and the known empty-string digest.
@Test func hasherMatchesOneShot() {
    let data = Array(repeating: UInt8(7), count: 100_000)
    let hasher = SHA256Hasher()
    data.withUnsafeBytes { all in
        hasher.update(UnsafeRawBufferPointer(rebasing: all[0..<1234]))
        hasher.update(UnsafeRawBufferPointer(rebasing: all[1234...]))
    }
    #expect(SHA256.hex(hasher.finalize()) == SHA256.hex(SHA256.hash(data)))
    #expect(SHA256.hex(SHA256.hash([UInt8]())) == SHA256.emptyHex)
}
