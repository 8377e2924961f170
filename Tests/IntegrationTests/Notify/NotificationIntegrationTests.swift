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

/// A history in a fresh temporary directory.
func temporaryHistory(_ label: String) throws -> (HistoryStore, String) {
    let directory = FileManager.default.temporaryDirectory.path + "/backupd-\(label)-\(UUID().uuidString)"
    return (try HistoryStore(stateDirectory: directory), directory)
}

/// A sender over libcurl with short timeouts, for tests.
func testSender(logger: Logger, attempts: Int = 3, timeout: Int = 5) -> NotificationSender {
    var options = CurlTransport.Options()
    options.connectTimeout = 2
    options.totalTimeout = timeout
    return NotificationSender(transport: CurlTransport(options: options), attempts: attempts, retryDelay: .milliseconds(100), logger: logger)
}

@Suite("Notifications to a real HTTP server", .ownThreads)
struct NotificationIntegrationTests {
    /// A successful and a failing run send start/success/failure webhooks (JSON with the documented
    /// fields) and healthchecks pings (/start, bare, /fail with the error) paired by rid; the job's
    /// secret and the URL's token appear in no body and no log line.
    @Test func webhooksAndPings() async throws {
        let server = try TestHTTPServer()
        let destination = try await TestDestination.make()
        let flag = FileManager.default.temporaryDirectory.path + "/backupd-notify-fail-\(UUID().uuidString)"
        let config = try IntegrationConfig.make(destination: destination, name: "notified", job: [
            "engine": "command",
            "connection": [
                "argv": ["/bin/sh", "-c", "if [ -e \(flag) ]; then echo \"cannot log in with $API_TOKEN\" >&2; exit 3; fi; printf 'backup data'"],
                "environment": ["API_TOKEN": "tok-Zebra-7781"],
            ],
            "notify": ["webhooks": [server.url("/hook/T0/hook-Token-5521")], "healthchecks": server.url("/ping/check-1")],
        ])
        let (history, directory) = try temporaryHistory("notify")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (logger, lines) = CapturingLogHandler.logger()
        let sender = testSender(logger: logger)
        let runner = BackupRunner(stores: destination.provider, launcher: PosixProcessLauncher(), clock: SystemWallClock(), environment: Pipeline.defaultEnvironment)
        let recorder = RunRecorder(history: history, executor: runner, clock: SystemWallClock(), observers: [Notifier(sender: sender, host: "test-host")])
        let job = config.jobs[0]

        let (okID, ok) = try await recorder.perform(ScheduledRun(job: job.name, trigger: .schedule, scheduledFor: Date()), job: job, config: config, logger: logger)
        #expect(ok.status == .succeeded)
        _ = FileManager.default.createFile(atPath: flag, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: flag) }
        let (failedID, failed) = try await recorder.perform(ScheduledRun(job: job.name, trigger: .runNow, scheduledFor: Date()), job: job, config: config, logger: logger)
        #expect(failed.status == .failed)
        #expect(sender.flush(timeout: .seconds(20)))

        let requests = server.waitFor(8)
        #expect(requests.count == 8)
        let hooks = requests.filter { $0.path == "/hook/T0/hook-Token-5521" }
        let pings = requests.filter { $0.path.hasPrefix("/ping/check-1") }
        #expect(hooks.count == 4 && pings.count == 4)
        let documents = hooks.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
        #expect(documents.map { $0["event"] as? String } == ["start", "success", "start", "failure"])
        #expect(hooks.allSatisfy { $0.method == "POST" && $0.headers["content-type"] == "application/json" })
        let success = documents[1]
        #expect(success["runId"] as? Int == Int(okID))
        #expect(success["job"] as? String == "notified")
        #expect(success["trigger"] as? String == "schedule")
        #expect(success["host"] as? String == "test-host")
        #expect(success["bytesStored"] as? Int == Int(ok.bytesStored ?? -1))
        let object = (success["objects"] as? [[String: Any]])?.first
        #expect(object?["key"] as? String == ok.objectKey)
        #expect(object?["sha256"] as? String == ok.sha256)
        #expect((success["destinations"] as? [[String: Any]])?.first?["bucket"] as? String == destination.json["bucket"] as? String)
        let failure = documents[3]
        #expect(failure["runId"] as? Int == Int(failedID))
        #expect(failure["status"] as? String == "failed")
        #expect((failure["error"] as? String)?.contains("exit status 3") == true)
        #expect((failure["stderrTail"] as? String)?.contains("cannot log in with \(Redactor.mask)") == true)

        #expect(pings.map(\.path) == ["/ping/check-1/start", "/ping/check-1", "/ping/check-1/start", "/ping/check-1/fail"])
        let rids = pings.map { $0.query }
        #expect(rids[0] == rids[1] && rids[2] == rids[3] && rids[0] != rids[2])
        #expect(rids.allSatisfy { $0.hasPrefix("rid=") && UUID(uuidString: String($0.dropFirst(4))) != nil })
        #expect(pings[3].text.contains("exit status 3"))

        for request in requests { #expect(!request.text.contains("tok-Zebra-7781")) }
        #expect(!lines.text.contains("tok-Zebra-7781"))
        #expect(!lines.text.contains("hook-Token-5521"))
    }

    /// An endpoint too slow to answer (its late answer a 500) neither fails nor delays the backup:
    /// the run is recorded as succeeded at once, and the undelivered notification is a warning
    /// naming only scheme and host.
    @Test func failingEndpointDoesNotTouchTheBackup() async throws {
        // Each attempt gives up after 4 s on an endpoint that answers after 10 s: a backup that
        // waited for the start notification alone would take over 8 s.
        let server = try TestHTTPServer(status: 500, delay: 10)
        let destination = try await TestDestination.make()
        let config = try IntegrationConfig.make(destination: destination, name: "unbothered", job: [
            "engine": "command", "connection": ["argv": ["/bin/sh", "-c", "printf hello"]],
            "notify": ["webhooks": [server.url("/hook/secret-Path-0042")]],
        ])
        let (history, directory) = try temporaryHistory("notify-fail")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (logger, lines) = CapturingLogHandler.logger()
        let sender = testSender(logger: logger, attempts: 2, timeout: 4)
        let runner = BackupRunner(stores: destination.provider, launcher: PosixProcessLauncher(), clock: SystemWallClock(), environment: Pipeline.defaultEnvironment)
        let recorder = RunRecorder(history: history, executor: runner, clock: SystemWallClock(), observers: [Notifier(sender: sender)])
        let started = Date()
        let (runID, outcome) = try await recorder.perform(
            ScheduledRun(job: "unbothered", trigger: .schedule, scheduledFor: started), job: config.jobs[0], config: config, logger: logger)
        #expect(outcome.status == .succeeded)
        #expect(Date().timeIntervalSince(started) < 6, "the backup waited for the webhook")
        #expect(try history.run(id: runID)?.status == .succeeded)
        #expect(sender.flush(timeout: .seconds(40)))
        let warnings = lines.all.filter { $0.hasPrefix("warning notification not delivered") }
        #expect(warnings.count == 2)
        #expect(warnings.allSatisfy { $0.contains("notify.target=http://127.0.0.1:\(server.port)") })
        #expect(!lines.text.contains("secret-Path-0042"))
        #expect(server.requests.count == 4)
    }
}
