import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A run of a command job whose environment holds `secret`.
func observedRun(secret: String = "env-Secret-42", notify: NotifyConfig? = nil) throws -> ObservedRun {
    var files = FakeFiles()
    files.files["/etc/backupd/config.json"] = configText { root in
        root["jobs"] = [[
            "name": "files", "engine": "command", "schedule": "0 4 * * *", "destination": "local",
            "connection": ["argv": ["tar", "-cf", "-", "/srv"], "environment": ["TOKEN": secret]],
        ]]
    }
    var job = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources).config.jobs[0]
    job.notify = notify
    return ObservedRun(
        runID: 42, job: job, destination: "local", bucket: "backups", trigger: .schedule,
        scheduledFor: Date(timeIntervalSince1970: 1_800_000_000), startedAt: Date(timeIntervalSince1970: 1_800_000_001))
}

@Suite("Notification messages", .ownThreads)
struct NotificationMessageTests {
    /// A partial fan-out run is a `partial` event with status partial, every destination's result,
    /// and the object stored at the destination that has it.
    @Test func partialFanOutJSON() throws {
        var run = try observedRun()
        run.job.destinations = ["local", "archive"]
        var outcome = RunOutcome(
            status: .partial, endedAt: run.startedAt.addingTimeInterval(3), bytesRead: 1000, bytesStored: 400,
            objectKey: "files-20270115T080001Z-3f9a1c2e.tar.zst", sha256: String(repeating: "ab", count: 32), exitStatus: 0,
            error: "job files: stored in 1 of 2 destinations; archive: upload failed")
        outcome.destinations = [
            DestinationOutcome(
                destination: "local", bucket: "backups", status: .succeeded, objectKey: outcome.objectKey, bytesStored: 400,
                sha256: outcome.sha256),
            DestinationOutcome(destination: "archive", bucket: "cold", status: .failed, error: "upload failed"),
        ]
        #expect(NotifyEvent.of(outcome) == .partial)
        let payload = WebhookPayload(event: .partial, run: run, outcome: outcome, host: "db1", redactor: Redactor(secrets: []))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(payload.json())) as? [String: Any])
        #expect(json["event"] as? String == "partial" && json["status"] as? String == "partial")
        let destinations = try #require(json["destinations"] as? [[String: Any]])
        #expect(destinations.map { $0["name"] as? String } == ["local", "archive"])
        #expect(destinations.map { $0["bucket"] as? String } == ["backups", "cold"])
        #expect(destinations.map { $0["status"] as? String } == ["succeeded", "failed"])
        let objects = try #require(json["objects"] as? [[String: Any]])
        #expect(objects.count == 1 && objects.first?["destination"] as? String == "local" && objects.first?["size"] as? Int == 400)
    }

    /// The JSON document of a success has the documented fields, the object with its digest, and no secret.
    @Test func successJSON() throws {
        let run = try observedRun()
        let outcome = RunOutcome(
            status: .succeeded, endedAt: run.startedAt.addingTimeInterval(12.5), bytesRead: 1000, bytesStored: 400,
            objectKey: "files-20270115T080001Z-3f9a1c2e.tar.zst", sha256: String(repeating: "ab", count: 32), exitStatus: 0)
        let payload = WebhookPayload(event: .success, run: run, outcome: outcome, host: "db1", redactor: Redactor(secrets: []))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(payload.json())) as? [String: Any])
        #expect(json["event"] as? String == "success")
        #expect(json["job"] as? String == "files")
        #expect(json["runId"] as? Int == 42)
        #expect(json["trigger"] as? String == "schedule")
        #expect(json["status"] as? String == "succeeded")
        #expect(json["host"] as? String == "db1")
        #expect(json["startedAt"] as? String == "2027-01-15T08:00:01.000Z")
        #expect(json["endedAt"] as? String == "2027-01-15T08:00:13.500Z")
        #expect(json["durationSeconds"] as? Double == 12.5)
        #expect(json["bytesStored"] as? Int == 400)
        let objects = try #require(json["objects"] as? [[String: Any]])
        #expect(objects.first?["key"] as? String == "files-20270115T080001Z-3f9a1c2e.tar.zst")
        #expect(objects.first?["sha256"] as? String == String(repeating: "ab", count: 32))
        #expect(objects.first?["size"] as? Int == 400)
        #expect((json["destinations"] as? [[String: Any]])?.first?["bucket"] as? String == "backups")
    }

    /// A failure's error and stderr tail are redacted with the job's secrets again, in JSON and ntfy form.
    @Test func failureRedacted() throws {
        let run = try observedRun(secret: "env-Secret-42")
        let outcome = RunOutcome(
            status: .failed, endedAt: run.startedAt.addingTimeInterval(1), stderrTail: "line 1\nauth token env-Secret-42 rejected",
            error: "job files: tar ended with exit status 2 (env-Secret-42)")
        let notifier = Notifier(sender: NotificationSender(transport: UnusedTransport(), logger: .init(label: "t")), host: "db1")
        let settings = NotifyConfig(webhooks: [Secret("https://hooks.example.com/x")], healthchecks: Secret("https://hc-ping.com/abc"))
        let messages = notifier.messages(.failure, run: run, outcome: outcome, settings: settings)
        #expect(messages.count == 2)
        for message in messages {
            let body = String(decoding: message.body, as: UTF8.self)
            #expect(!body.contains("env-Secret-42"))
            #expect(body.contains(Redactor.mask))
        }
        var ntfySettings = settings
        ntfySettings.format = .ntfy
        let ntfy = notifier.messages(.failure, run: run, outcome: outcome, settings: ntfySettings)[0]
        #expect(ntfy.headers.contains { $0.name == "Title" && $0.value == "backupd: files failed" })
        #expect(ntfy.headers.contains { $0.name == "Priority" && $0.value == "high" })
        #expect(!String(decoding: ntfy.body, as: UTF8.self).contains("env-Secret-42"))
    }

    /// Healthchecks URLs: /start, bare, /fail, each with the same UUID rid; an existing query is kept.
    @Test func healthchecksURLs() throws {
        let run = try observedRun()
        let base = Secret("https://hc-ping.com/1f7e6a4c-0000-4000-8000-000000000001/")
        let failed = RunOutcome(status: .failed, endedAt: run.startedAt, error: "boom")
        let start = HealthchecksPing.message(base: base, event: .start, run: run, outcome: nil, redactor: Redactor(secrets: []))
        let success = HealthchecksPing.message(base: base, event: .success, run: run, outcome: RunOutcome(status: .succeeded, endedAt: run.startedAt), redactor: Redactor(secrets: []))
        let failure = HealthchecksPing.message(base: base, event: .failure, run: run, outcome: failed, redactor: Redactor(secrets: []))
        let rid = HealthchecksPing.runUUID(run)
        #expect(UUID(uuidString: rid) != nil)
        #expect(start.url.value == "https://hc-ping.com/1f7e6a4c-0000-4000-8000-000000000001/start?rid=\(rid)")
        #expect(success.url.value == "https://hc-ping.com/1f7e6a4c-0000-4000-8000-000000000001?rid=\(rid)")
        #expect(failure.url.value == "https://hc-ping.com/1f7e6a4c-0000-4000-8000-000000000001/fail?rid=\(rid)")
        #expect(String(decoding: failure.body, as: UTF8.self).contains("boom"))
        #expect(HealthchecksPing.url("https://hc.example/ping/key/slug?create=1", suffix: "/fail", rid: "r") == "https://hc.example/ping/key/slug/fail?create=1&rid=r")
        var other = run
        other.runID = 43
        #expect(HealthchecksPing.runUUID(other) != rid)
    }

    /// Only the scheme and host of a URL are ever logged.
    @Test func safeTarget() {
        #expect(NotificationMessage.safeTarget("https://hooks.example.com:8443/services/T0/B0/tok?x=1") == "https://hooks.example.com:8443")
        #expect(NotificationMessage.safeTarget("not a url") == "<unparsable URL>")
    }
}

/// A transport the test never reaches.
struct UnusedTransport: HTTPTransport {
    func send(_ request: HTTPRequest, body: UnsafeRawBufferPointer, sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        Issue.record("unexpected request")
        return HTTPResponse(status: 500, headers: [:], body: [])
    }
}
