import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("backupd binary: per-destination metrics (retries, fan-out seeding)", .timeLimit(.minutes(4)), .ownThreads)
struct MetricsDestinationTests {
    /// A daemon whose destination sits behind the fault proxy: each run-now that meets a burst of
    /// 503s makes `backupd_retries_total{backup_job,destination}` rise by the retries it made (parsed by
    /// prometheus_client from `GET /metrics`); no secret appears in the exposition.
    @Test func retriesCounterRisesThroughFaultProxy() async throws {
        let fixture = try await NetworkFixture("retries")
        defer { fixture.tearDown() }
        let port = try freeLoopbackPort()
        let configPath = fixture.directory + "/config.json"
        let root: [String: Any] = [
            "stateDirectory": fixture.directory + "/state",
            "destinations": [[
                "name": "s3", "endpoint": fixture.proxyEndpoint, "region": fixture.s3.region, "bucket": fixture.bucket, "pathStyle": true,
                "accessKeyId": fixture.s3.accessKey, "secretAccessKey": ["env": "RETRIES_SECRET"], "partSizeMiB": 5, "partsInFlight": 2,
            ]],
            "metrics": ["listen": "127.0.0.1:\(port)"],
            "jobs": [NetworkFixture.commandJob("flaky", argv: ["head", "-c", "300000", "/dev/urandom"])],
        ]
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
        var environment = Pipeline.defaultEnvironment
        environment["RETRIES_SECRET"] = fixture.s3.secretKey
        let daemon = try DaemonProcess(configPath: configPath, directory: fixture.directory, environment: environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.waitForLog("metrics listening", timeout: 20), "\(daemon.log)")
        // The start-up sweeps list the bucket through the proxy: let them finish (no new connection
        // for a second after the first) so that the 503s below meet the runs' requests only.
        var stable = 0
        var seen = 0
        _ = await poll(timeout: 20) {
            let now = fixture.proxy.stats.connections
            stable = now > 0 && now == seen ? stable + 1 : 0
            seen = now
            return stable >= 10
        }
        let sample = "backupd_retries_total{backup_job=\"flaky\",destination=\"s3\"}"
        func scrape() throws -> (samples: [String: Double], body: String) {
            let body = try httpGet("http://127.0.0.1:\(port)/metrics").body
            return (try PrometheusParser.parse(body).samples, body)
        }
        #expect(try scrape().samples[sample] == 0)

        var expected = 0
        for burst in [2, 3] {
            let before = fixture.proxy.faults.errorsSent
            fixture.proxy.failNext(burst)
            let run = try runBackupd(["run-now", "flaky", "--config", configPath], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(fixture.proxy.faults.errorsSent - before == burst)
            expected += burst
            let scraped = try scrape()
            #expect(scraped.samples[sample] == Double(expected), "\(scraped.body)")
            #expect(scraped.samples["backupd_runs_total{backup_job=\"flaky\",status=\"succeeded\"}"] == Double(expected == 2 ? 1 : 2))
            #expect(!scraped.body.contains(fixture.s3.secretKey))
        }
        await #expect(try fixture.openUploads().isEmpty)
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 20) == 0)
    }

    /// A fan-out job's metrics seeded from the history at start cover every destination: after a
    /// full run, a partial one (b's secret wrong) and a third run in a fresh process, the textfile
    /// (parsed by prometheus_client) counts every run of each destination's bytes, the partial run,
    /// and each destination's newest size, as the history's per-destination rows say.
    @Test func fanOutSeedingCoversEveryDestination() async throws {
        let fixture = try await FanOutFixture(dumpBytes: 600_000)
        defer { fixture.remove() }
        let textfile = fixture.state + "/backupd.prom"
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.configPath))) as? [String: Any])
        root["metrics"] = ["textfile": textfile]
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: fixture.configPath))

        #expect(try fixture.backupd(["run-now", "app"]).status == 0)
        var wrongB = fixture.environment
        wrongB["FANOUT_SECRET_B"] = "not-the-secret"
        let partial = try runBackupd(["run-now", "app", "--config", fixture.configPath], environment: wrongB)
        #expect(partial.status != 0)
        let third = try fixture.backupd(["run-now", "app"])
        #expect(third.status == 0, "\(third.stderr)")

        let history = try HistoryStore(stateDirectory: fixture.state, readOnly: true)
        let runs = try history.runs().sorted { $0.id < $1.id }
        #expect(runs.map(\.status) == [.succeeded, .partial, .succeeded])
        let results = try history.destinationResults(runIDs: runs.map(\.id))
        func stored(_ destination: String) -> [Int64] {
            runs.compactMap { run in results[run.id]?.first { $0.destination == destination && $0.status == .succeeded }?.bytesStored }
        }
        #expect(stored("a").count == 3 && stored("b").count == 2)
        let metrics = try PrometheusParser.parse(String(contentsOfFile: textfile, encoding: .utf8)).samples
        #expect(metrics["backupd_uploaded_bytes_total{backup_job=\"app\",destination=\"a\"}"] == Double(stored("a").reduce(0, +)))
        #expect(metrics["backupd_uploaded_bytes_total{backup_job=\"app\",destination=\"b\"}"] == Double(stored("b").reduce(0, +)))
        #expect(metrics["backupd_last_backup_size_bytes{backup_job=\"app\",destination=\"a\"}"] == stored("a").last.map(Double.init))
        #expect(metrics["backupd_last_backup_size_bytes{backup_job=\"app\",destination=\"b\"}"] == stored("b").last.map(Double.init))
        #expect(metrics["backupd_runs_total{backup_job=\"app\",status=\"succeeded\"}"] == 2)
        #expect(metrics["backupd_runs_total{backup_job=\"app\",status=\"partial\"}"] == 1)
        #expect(metrics["backupd_retries_total{backup_job=\"app\",destination=\"b\"}"] == 0)
    }
}
