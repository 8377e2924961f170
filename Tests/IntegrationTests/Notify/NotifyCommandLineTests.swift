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

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw TestSetupError("cannot bind a free port") }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite("backupd binary: notify, metrics, encryption", .timeLimit(.minutes(3)), .ownThreads)
struct NotifyCommandLineTests {
    /// `backupd run-now` of an encrypted job sends its webhooks (URL from the environment, token
    /// never printed) and healthchecks pings, writes the metrics textfile (parsed by
    /// prometheus_client), and `backupd restore --identity` gets the dump back.
    @Test func runNowNotifiesMeasuresAndEncrypts() async throws {
        let server = try TestHTTPServer()
        let key = try AgeKey.make()
        defer { key.remove() }
        let destination = try await TestDestination.make()
        let directory = key.directory
        let textfile = directory + "/backupd.prom"
        let root: [String: Any] = [
            "stateDirectory": directory + "/state", "destinations": [destination.json],
            "notify": ["webhooks": [["env": "HOOK_URL"]], "healthchecks": server.url("/ping/cli")],
            "metrics": ["textfile": textfile],
            "encryption": ["ageRecipients": [key.recipient]],
            "jobs": [["name": "cli-sealed", "engine": "command", "schedule": "0 3 * * *", "destination": "test", "prefix": "cli/sealed",
                      "connection": ["argv": ["seq", "1", "50000"], "extension": "txt"]]],
        ]
        let configPath = directory + "/config.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
        var environment = Pipeline.defaultEnvironment
        environment["HOOK_URL"] = server.url("/hooks/cli-Token-31337")

        let run = try runBackupd(["run-now", "cli-sealed", "--config", configPath, "--verbose"], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains(".txt.zst.age"))
        #expect(!run.stderr.contains("cli-Token-31337") && !run.stdout.contains("cli-Token-31337"))

        let requests = server.waitFor(4)
        let hooks = requests.filter { $0.path == "/hooks/cli-Token-31337" }
        let events = hooks.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any])?["event"] as? String }
        #expect(events == ["start", "success"])
        let success = try #require(hooks.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] })
        #expect(success["trigger"] as? String == "run-now")
        #expect(success["encrypted"] as? Bool == true)
        #expect(((success["objects"] as? [[String: Any]])?.first?["key"] as? String)?.hasSuffix(".txt.zst.age") == true)
        #expect(requests.filter { $0.path.hasPrefix("/ping/cli") }.map(\.path) == ["/ping/cli/start", "/ping/cli"])

        let metrics = try PrometheusParser.parse(String(contentsOfFile: textfile, encoding: .utf8))
        #expect(metrics.samples["backupd_runs_total{backup_job=\"cli-sealed\",status=\"succeeded\"}"] == 1)
        #expect(metrics.samples["backupd_job_running{backup_job=\"cli-sealed\"}"] == 0)
        #expect((metrics.samples["backupd_last_success_timestamp_seconds{backup_job=\"cli-sealed\"}"] ?? 0) > 0)

        let target = directory + "/restored.txt"
        let restore = try runBackupd(["restore", "cli-sealed", "--to", target, "--identity", key.identity, "--config", configPath], environment: environment)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == seqText(50_000))
        let refused = try runBackupd(["restore", "cli-sealed", "--to", directory + "/x.txt", "--config", configPath], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--identity FILE"))
    }

    /// `backupd validate` names a bad age recipient by its JSON path and exits 1.
    @Test func validateNamesBadRecipient() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-validate-age-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bad = String(testRecipient.dropLast()) + "q"
        let root: [String: Any] = [
            "stateDirectory": directory + "/state",
            "destinations": [["name": "d", "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "bkt", "accessKeyId": "a", "secretAccessKey": "b"]],
            "jobs": [["name": "j", "engine": "command", "schedule": "0 3 * * *", "destination": "d", "connection": ["argv": ["true"]],
                      "encryption": ["ageRecipients": [testRecipient, bad]]]],
        ]
        let configPath = directory + "/config.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
        let result = try runBackupd(["validate", "--config", configPath], environment: Pipeline.defaultEnvironment)
        #expect(result.status == 1)
        let output = result.stdout + result.stderr
        #expect(output.contains("jobs[\"j\"].encryption.ageRecipients[1]: \"\(bad)\" has a wrong checksum"), "\(output)")
    }

    /// `backupd run` serves `GET /metrics` on the configured loopback port (parsed by
    /// prometheus_client) and stops serving when SIGTERM stops the daemon.
    @Test func daemonServesMetrics() async throws {
        let destination = try await TestDestination.make()
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-metrics-daemon-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try freeLoopbackPort()
        let root: [String: Any] = [
            "stateDirectory": directory + "/state", "destinations": [destination.json],
            "metrics": ["listen": "127.0.0.1:\(port)"],
            "jobs": [["name": "served", "engine": "command", "schedule": "0 3 * * *", "destination": "test", "connection": ["argv": ["true"]]]],
        ]
        let configPath = directory + "/config.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
        let daemon = try DaemonProcess(configPath: configPath, directory: directory)
        defer { daemon.cleanUp() }
        #expect(await daemon.waitForLog("metrics listening", timeout: 20), "\(daemon.log)")
        let scrape = try httpGet("http://127.0.0.1:\(port)/metrics")
        #expect(scrape.status == 200)
        let parsed = try PrometheusParser.parse(scrape.body)
        #expect(parsed.samples["backupd_job_enabled{backup_job=\"served\"}"] == 1)
        #expect((parsed.samples["backupd_next_run_timestamp_seconds{backup_job=\"served\"}"] ?? 0) > Date().timeIntervalSince1970)
        #expect(parsed.samples["backupd_runs_total{backup_job=\"served\",status=\"succeeded\"}"] == 0)
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 20) == 0)
        #expect(throws: HTTPTransportError.self) { try httpGet("http://127.0.0.1:\(port)/metrics") }
    }
}
