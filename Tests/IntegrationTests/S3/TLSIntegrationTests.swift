import Foundation
import Logging
import SigV4
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The libcurl transport over real TLS: radosgw behind a TLS terminator whose certificate comes
/// from a throw-away private CA, trusted only through `caFile`.
@Suite(.ownThreads) struct TLSIntegrationTests {
    let s3: TestS3
    init() throws { s3 = try TestS3.environment() }

    /// A destination config for `bucket` at the https endpoint, trusting `caFile`.
    func destination(_ tls: TLSTerminator, bucket: String, caFile: String?) -> DestinationConfig {
        DestinationConfig(
            name: "tls", endpoint: tls.endpoint, region: s3.region, bucket: bucket, accessKeyId: Secret(s3.accessKey),
            secretAccessKey: Secret(s3.secretKey), sessionToken: nil, pathStyle: true, allowInsecureHTTP: false,
            caFile: caFile, maxParts: 10_000, partSize: 5 * 1024 * 1024, partsInFlight: 4)
    }

    /// With the private CA as caFile, signed requests through https create a bucket, store an object and read it back.
    @Test func roundTripWithCAFile() async throws {
        let tls = try TLSTerminator(upstream: s3.endpoint)
        defer { tls.stop() }
        let client = S3Client(destination: destination(tls, bucket: TestS3.uniqueBucket("tls"), caFile: tls.caFile), logger: Logger(label: "test.tls"))
        #expect(client.settings.endpoint.scheme == "https")
        _ = try await client.perform("CreateBucket", method: "PUT", key: nil)
        let payload = Array("backup bytes over TLS\n".utf8)
        _ = try await S3Client.withBody(payload) { try await client.putObject(key: "tls/object", body: $0) }
        let head = try await #require(try client.headObject(key: "tls/object"))
        #expect(head.size == Int64(payload.count))
        var read: [UInt8] = []
        try await client.getObject(key: "tls/object") { read.append(contentsOf: $0) }
        #expect(read == payload)
        await #expect(try client.listObjects(prefix: "tls/").map(\.key) == ["tls/object"])
    }

    /// Without caFile the system trust store rejects the private CA: a TLS error that says to set caFile and holds no secret.
    @Test func systemTrustRejectsPrivateCA() async throws {
        let tls = try TLSTerminator(upstream: s3.endpoint)
        defer { tls.stop() }
        let bucket = try await s3.makeBucket("tlsnoca").settings.bucket
        let client = S3Client(destination: destination(tls, bucket: bucket, caFile: nil), logger: Logger(label: "test.tls"))
        do {
            _ = try await client.headObject(key: "anything")
            Issue.record("HeadObject over https succeeded without the private CA")
        } catch let error as S3Error {
            guard case .unreachable(_, let operation, let cause) = error, case .tls(let host, _) = cause else {
                Issue.record("expected a TLS error, got \(error)")
                return
            }
            #expect(operation == "HeadObject")
            #expect(host == "127.0.0.1")
            let text = error.description
            #expect(text.contains("set caFile to the PEM of your CA"), "\(text)")
            #expect(!text.contains(s3.secretKey))
        }
    }

    /// `backupd check`'s checker passes every step against the https endpoint when caFile names the CA.
    @Test func checkPassesWithCAFile() async throws {
        let tls = try TLSTerminator(upstream: s3.endpoint)
        defer { tls.stop() }
        let bucket = try await s3.makeBucket("tlscheck").settings.bucket
        let client = S3Client(destination: destination(tls, bucket: bucket, caFile: tls.caFile), logger: Logger(label: "test.tls"))
        let report = await DestinationChecker(client: client, name: "tls", token: "tls1").run()
        #expect(report.passed, "\(report.render())")
        #expect(report.steps.count == 12)
        for step in report.steps {
            guard case .ok = step.outcome else { Issue.record("\(step.name): \(step.outcome)"); continue }
        }
    }
}
