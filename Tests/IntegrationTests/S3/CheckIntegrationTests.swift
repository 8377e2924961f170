import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// `backupd check`'s checker against radosgw: a good destination, a wrong secret, a user with too few permissions.
@Suite(.ownThreads) struct CheckIntegrationTests {
    let s3: TestS3
    init() throws { s3 = try TestS3.environment() }

    /// Every step passes on a good destination, and nothing is left under the temporary prefix.
    @Test func goodDestinationPasses() async throws {
        let client = try await s3.makeBucket("checkok")
        let report = await DestinationChecker(client: client, name: "good", token: "t1").run()
        #expect(report.passed, "\(report.render())")
        #expect(report.steps.count == 12)
        await #expect(try client.listObjects(prefix: "").isEmpty)
        await #expect(try client.listMultipartUploads(prefix: "").isEmpty)
    }

    /// A wrong secret fails the steps with SignatureDoesNotMatch, and the secret is not printed.
    @Test func wrongSecretFails() async throws {
        let good = try await s3.makeBucket("checkbad")
        let bad = s3.client(s3.settings(bucket: good.settings.bucket, secretKey: "Wrong-Secret-987654321"))
        let report = await DestinationChecker(client: bad, name: "bad", token: "t2").run()
        #expect(!report.passed)
        let text = report.render()
        #expect(text.contains("FAILED  PutObject"))
        #expect(text.contains("SignatureDoesNotMatch"))
        #expect(!text.contains("Wrong-Secret-987654321"))
    }

    /// A user allowed only to read and list is told exactly which operations are denied.
    @Test func restrictedUserIsDeniedWrites() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let user = env["BACKUPD_TEST_S3_RESTRICTED_USER"], let key = env["BACKUPD_TEST_S3_RESTRICTED_ACCESS_KEY"],
            let secret = env["BACKUPD_TEST_S3_RESTRICTED_SECRET_KEY"]
        else { throw TestS3.Missing(variable: "BACKUPD_TEST_S3_RESTRICTED_USER/ACCESS_KEY/SECRET_KEY") }
        let owner = try await s3.makeBucket("checkro")
        let bucket = owner.settings.bucket
        let policy = """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/\(user)"]},\
            "Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::\(bucket)","arn:aws:s3:::\(bucket)/*"]}]}
            """
        let put = try s3.aws(["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy])
        #expect(put.status == 0, "\(put.error)")
        let restricted = s3.client(s3.settings(bucket: bucket, accessKey: key, secretKey: secret))
        let report = await DestinationChecker(client: restricted, name: "ro", token: "t3").run()
        let byName = Dictionary(report.steps.map { ($0.name, $0.outcome) }, uniquingKeysWith: { a, _ in a })
        #expect(!report.passed)
        guard case .failed(let putError) = byName["PutObject"] else { Issue.record("\(report.render())"); return }
        #expect(putError.contains("access denied for PutObject"))
        #expect(putError.contains("s3:PutObject"))
        guard case .ok = byName["ListObjectsV2"] else { Issue.record("\(report.render())"); return }
        guard case .failed = byName["CreateMultipartUpload"] else { Issue.record("\(report.render())"); return }
    }
}
