import Foundation
import Logging
import SigV4
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The S3 server of the test environment (radosgw from `scripts/testenv/s3.sh`, started by
/// `scripts/test.sh`), read from `BACKUPD_TEST_S3_*`.
struct TestS3: Sendable {
    let endpoint: URL
    let region: String
    let accessKey: String
    let secretKey: String

    /// Why the S3 server is not available, as a test failure message.
    struct Missing: Error, CustomStringConvertible {
        let variable: String
        var description: String {
            "\(variable) is not set: integration tests need the radosgw test server; run them through scripts/test.sh, or `eval \"$(scripts/testenv/s3.sh start /tmp/s3)\"` first"
        }
    }

    /// The environment's server; throws `Missing` (failing the test) when it is not configured.
    static func environment() throws -> TestS3 {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String) throws -> String {
            guard let text = env[name], !text.isEmpty else { throw Missing(variable: name) }
            return text
        }
        guard let url = URL(string: try value("BACKUPD_TEST_S3_ENDPOINT")) else { throw Missing(variable: "BACKUPD_TEST_S3_ENDPOINT (valid URL)") }
        return TestS3(
            endpoint: url, region: try value("BACKUPD_TEST_S3_REGION"), accessKey: try value("BACKUPD_TEST_S3_ACCESS_KEY"),
            secretKey: try value("BACKUPD_TEST_S3_SECRET_KEY"))
    }

    /// A bucket name no other test (or test process) uses.
    static func uniqueBucket(_ label: String) -> String {
        "bd-\(label)-\(UInt32.random(in: 0...UInt32.max))-\(getpid())".lowercased()
    }

    /// Settings for `bucket`, optionally with other keys or region.
    func settings(bucket: String, accessKey: String? = nil, secretKey: String? = nil, region: String? = nil, retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0.05)) -> S3Settings {
        S3Settings(
            endpoint: endpoint, region: region ?? self.region, bucket: bucket,
            credentials: SigV4Credentials(accessKeyId: accessKey ?? self.accessKey, secretAccessKey: secretKey ?? self.secretKey),
            pathStyle: true, retry: retry)
    }

    /// A client over libcurl.
    func client(_ settings: S3Settings) -> S3Client {
        S3Client(settings: settings, transport: CurlTransport(), logger: Logger(label: "test.s3"))
    }

    /// A fresh bucket and a client for it.
    func makeBucket(_ label: String) async throws -> S3Client {
        let client = client(settings(bucket: TestS3.uniqueBucket(label)))
        _ = try await client.perform("CreateBucket", method: "PUT", key: nil)
        return client
    }

    /// A destination config for `bucket` (for `check`, the provider and the store).
    func destination(bucket: String, name: String = "test", secretKey: String? = nil) -> DestinationConfig {
        DestinationConfig(
            name: name, endpoint: endpoint, region: region, bucket: bucket, accessKeyId: Secret(accessKey),
            secretAccessKey: Secret(secretKey ?? self.secretKey), sessionToken: nil, pathStyle: true, allowInsecureHTTP: false,
            caFile: nil, maxParts: 10_000, partSize: 5 * 1024 * 1024, partsInFlight: 4)
    }

    /// Upload ids of `bucket`'s open multipart uploads, read by the AWS CLI (a second client).
    func openUploadIDs(bucket: String) throws -> [String] {
        let result = try aws(["s3api", "list-multipart-uploads", "--bucket", bucket, "--output", "json"])
        guard result.status == 0 else { throw TestSetupError("aws list-multipart-uploads failed: \(result.error)") }
        guard let data = result.output.data(using: .utf8), !result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [] }
        return ((json["Uploads"] as? [[String: Any]]) ?? []).compactMap { $0["UploadId"] as? String }
    }

    /// Runs the AWS CLI against the server with the test credentials (passed by environment, not argv).
    func aws(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["aws", "--endpoint-url", endpoint.absoluteString, "--region", region] + arguments
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = accessKey
        env["AWS_SECRET_ACCESS_KEY"] = secretKey
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }
}
