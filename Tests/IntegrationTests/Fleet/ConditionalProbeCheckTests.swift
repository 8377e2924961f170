import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// `backupd check`'s conditional-write probe: radosgw passes, a provider that ignores the
/// conditions (a proxy stripping them) is named unsafe for runOn "any".
@Suite("Conditional-write probe in check", .ownThreads)
struct ConditionalProbeCheckTests {
    /// On radosgw the four probe steps pass and the probe key is gone afterwards.
    @Test func radosgwPasses() async throws {
        let client = try await TestS3.environment().makeBucket("probe-ok")
        let (steps, passed) = await ConditionalWriteProbe(client: client, key: ".backupd-check-t/conditional-probe", required: true).run()
        #expect(passed, "\(steps)")
        #expect(steps.map(\.name) == [
            "Conditional create (If-None-Match)", "Second create refused (412)", "Wrong If-Match refused (412)", "Right If-Match accepted",
        ])
        #expect(try await client.listObjects(prefix: "").isEmpty)
    }

    /// Behind a proxy that strips the conditions, the second create and the wrong If-Match fail
    /// with the reason (required: errors; not required: warnings that keep check passing).
    @Test(arguments: [true, false])
    func strippedConditionsAreUnsafe(required: Bool) async throws {
        let s3 = try TestS3.environment()
        let proxy = try ConditionStrippingProxy(upstream: s3.endpoint)
        defer { proxy.stop() }
        let owner = try await s3.makeBucket("probe-strip")
        var settings = owner.settings
        settings.endpoint = proxy.endpoint
        let client = s3.client(settings)
        let (steps, passed) = await ConditionalWriteProbe(client: client, key: ".backupd-check-t/conditional-probe", required: required).run()
        #expect(!passed)
        #expect(proxy.stripped >= 3)
        let outcomes = Dictionary(steps.map { ($0.name, $0.outcome) }, uniquingKeysWith: { a, _ in a })
        for name in ["Second create refused (412)", "Wrong If-Match refused (412)"] {
            let text: String
            switch outcomes[name] {
            case .failed(let t)? where required: text = t
            case .warning(let t)? where !required: text = t
            default:
                Issue.record("\(name): \(String(describing: outcomes[name]))")
                continue
            }
            #expect(text.contains("was accepted") && text.contains("unsafe for runOn \"any\""), "\(text)")
        }
        let report = CheckReport(destination: "d", target: "t", steps: steps)
        #expect(report.passed == !required)
    }

    /// The real binary: `backupd check` passes on radosgw with a runOn "any" job (probe steps shown),
    /// and fails (exit 1) behind the stripping proxy, naming the destination unsafe for runOn "any".
    @Test func binaryCheckRefusesIgnoredConditions() async throws {
        let s3 = try TestS3.environment()
        let proxy = try ConditionStrippingProxy(upstream: s3.endpoint)
        defer { proxy.stop() }
        let bucket = try await s3.makeBucket("probe-bin").settings.bucket
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backupd-probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func run(endpoint: URL) throws -> (status: Int32, stdout: String, stderr: String) {
            let config: [String: Any] = [
                "hostId": "probe-host", "stateDirectory": directory.path + "/state",
                "destinations": [[
                    "name": "claims", "endpoint": endpoint.absoluteString, "region": s3.region, "bucket": bucket, "pathStyle": true,
                    "provider": "ceph", "accessKeyId": s3.accessKey, "secretAccessKey": ["env": "PROBE_SECRET"],
                ]],
                "jobs": [[
                    "name": "app", "engine": "command", "schedule": "0 3 * * *", "destination": "claims", "runOn": "any",
                    "connection": ["argv": ["echo", "x"], "extension": "txt"],
                ]],
            ]
            let path = directory.path + "/config.json"
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
            return try runBackupd(
                ["check", "--config", path, "claims"], environment: ["PATH": "/usr/bin:/bin", "PROBE_SECRET": s3.secretKey], timeout: 120)
        }
        let good = try run(endpoint: s3.endpoint)
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("ok      Second create refused (412)") && good.stdout.contains("ok      Wrong If-Match refused (412)"), "\(good.stdout)")
        let bad = try run(endpoint: proxy.endpoint)
        #expect(bad.status == 1, "\(bad.stdout)\(bad.stderr)")
        #expect(bad.stdout.contains("FAILED  Second create refused (412)"), "\(bad.stdout)")
        #expect(bad.stdout.contains("unsafe for runOn \"any\""), "\(bad.stdout)")
        #expect(!(bad.stdout + bad.stderr).contains(s3.secretKey))
    }
}
