import BackupTestSupport
import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("A failed tool's reason reaches the run's error and the webhook", .ownThreads)
struct ToolErrorReportingTests {
    /// pg_dump's stderr ends with the failed statement's `);`: the run's error (history row, CLI)
    /// and the webhook's `error` carry the ERROR line, and the passfile path names the config key.
    @Test func errorLineNotTheTail() async throws {
        let stderr = """
            pg_dump: error: query failed: ERROR:  permission denied for table secret
            pg_dump: detail: Query was: LOCK TABLE public.secret IN ACCESS SHARE MODE
            password retrieved from file "/dev/shm/backupd-secrets-Qw3rTy/1-pgpass"
            );

            """
        let job: [String: Any] = [
            "engine": "postgres", "connection": ["host": "db", "username": "backup", "password": "pw-Secret-1", "database": "app"],
        ]
        let launcher = RecordingLauncher(installed: ["pg_dump", "psql", "pg_restore"]) { spec in
            spec.argv[0] == "pg_dump" && !spec.argv.contains("--version") ? .init(stderr: stderr, exit: .exited(1)) : healthyTools()(spec)
        }
        let config = try pipelineConfig(job)
        let outcome = try await runJob(config, store: MemoryObjectStore(), launcher: launcher)
        #expect(outcome.status == .failed)
        let error = try #require(outcome.error)
        #expect(error.contains("pg_dump: error: query failed: ERROR:  permission denied for table secret"), "\(error)")
        #expect(!error.contains("backupd-secrets"), "\(error)")
        #expect(outcome.stderrTail?.contains("backupd-secrets") == false)
        #expect(outcome.stderrTail?.contains("password taken from jobs[\"job1\"].connection.password") == true)

        let run = ObservedRun(
            runID: 1, job: config.jobs[0], destination: "local", bucket: nil, trigger: .runNow, scheduledFor: nil, startedAt: pipelineStart)
        let payload = WebhookPayload(event: .failure, run: run, outcome: outcome, host: "h", redactor: Redactor(secrets: [], job: "job1")).json()
        let document = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        #expect((document["error"] as? String)?.contains("ERROR:  permission denied for table secret") == true)
    }
}
