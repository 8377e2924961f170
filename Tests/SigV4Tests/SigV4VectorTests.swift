import Foundation
import SigV4
import Testing

/// One published request and the Authorization header AWS computed for it.
struct Vector: Sendable, CustomTestStringConvertible {
    var name: String
    var request: SigV4Request
    var authorization: String
    var testDescription: String { name }
}

/// The S3 documentation examples (examplebucket, 2013-05-24).
let s3Date = Date(timeIntervalSince1970: 1_369_353_600)
let s3Signer = SigV4Signer(
    credentials: SigV4Credentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    region: "us-east-1")
let s3Credential = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"

let s3Vectors: [Vector] = [
    Vector(
        name: "GET object with Range",
        request: SigV4Request(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt",
            headers: [(name: "Range", value: "bytes=0-9")]),
        authorization: s3Credential
            + ", SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    Vector(
        name: "PUT test$file.text",
        request: SigV4Request(
            method: "PUT", host: "examplebucket.s3.amazonaws.com", path: "/test$file.text",
            headers: [
                (name: "Date", value: "Fri, 24 May 2013 00:00:00 GMT"),
                (name: "x-amz-storage-class", value: "REDUCED_REDUNDANCY"),
            ],
            payloadHash: SHA256.hex(SHA256.hash("Welcome to Amazon S3.".utf8))),
        authorization: s3Credential
            + ", SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    Vector(
        name: "GET ?lifecycle",
        request: SigV4Request(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/", query: [(name: "lifecycle", value: "")]),
        authorization: s3Credential
            + ", SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    Vector(
        name: "GET ?max-keys=2&prefix=J",
        request: SigV4Request(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/",
            query: [(name: "prefix", value: "J"), (name: "max-keys", value: "2")]),
        authorization: s3Credential
            + ", SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
]

/// The generic SigV4 test suite (service `service`, 2015-08-30T12:36:00Z); no content hash header.
let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)
let suiteSigner = SigV4Signer(
    credentials: SigV4Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
    region: "us-east-1", service: "service", sendsContentHash: false)
let suiteCredential = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

let suiteVectors: [Vector] = [
    Vector(
        name: "get-vanilla",
        request: SigV4Request(method: "GET", host: "example.amazonaws.com", path: "/"),
        authorization: suiteCredential
            + ", SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    Vector(
        name: "post-vanilla",
        request: SigV4Request(method: "POST", host: "example.amazonaws.com", path: "/"),
        authorization: suiteCredential
            + ", SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    Vector(
        name: "get-vanilla-query-order-key-case",
        request: SigV4Request(
            method: "GET", host: "example.amazonaws.com", path: "/",
            query: [(name: "Param2", value: "value2"), (name: "Param1", value: "value1")]),
        authorization: suiteCredential
            + ", SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    Vector(
        name: "post-header-value-case",
        request: SigV4Request(
            method: "POST", host: "example.amazonaws.com", path: "/", headers: [(name: "My-Header1", value: "VALUE1")]),
        authorization: suiteCredential
            + ", SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
    Vector(
        name: "get-header-value-trim",
        request: SigV4Request(
            method: "GET", host: "example.amazonaws.com", path: "/",
            headers: [(name: "My-Header1", value: " value1"), (name: "My-Header2", value: "\"a   b   c\"")]),
        authorization: suiteCredential
            + ", SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
]

/// The S3 documentation examples sign to AWS's published Authorization headers.
@Test(arguments: s3Vectors)
func s3DocumentationExamples(vector: Vector) {
    let signed = s3Signer.sign(vector.request, date: s3Date)
    #expect(signed.authorization == vector.authorization)
    #expect(signed.header("x-amz-date") == "20130524T000000Z")
    #expect(signed.header("x-amz-content-sha256") == vector.request.payloadHash)
    #expect(signed.header("Authorization") == vector.authorization)
}

/// The generic SigV4 test-suite requests sign to AWS's published Authorization headers.
@Test(arguments: suiteVectors)
func signatureTestSuite(vector: Vector) {
    let signed = suiteSigner.sign(vector.request, date: suiteDate)
    #expect(signed.authorization == vector.authorization)
    #expect(signed.header("x-amz-content-sha256") == nil)
}
