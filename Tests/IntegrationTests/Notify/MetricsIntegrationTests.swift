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

/// Runs blocking `body` on a thread of its own and awaits it, leaving the concurrency pool free.
func onOwnThread(_ body: @escaping @Sendable () async throws -> Void) async throws {
    try await Task.detached { try await body() }.value
}

/// GET `url` through libcurl; the status and body.
func httpGet(_ url: String) throws -> (status: Int, body: String, contentType: String?) {
    let response = try CurlTransport().send(HTTPRequest(method: "GET", url: url, headers: []), body: UnsafeRawBufferPointer(start: nil, count: 0), sink: nil)
    return (response.status, String(decoding: response.body, as: UTF8.self), response.headers["content-type"])
}

@Suite("Prometheus metrics: textfile and listener, read by prometheus_client's parser", .ownThreads)
struct MetricsIntegrationTests {
    /// After a success and a failure, the textfile and `GET /metrics` both parse and carry the
    /// per-job values; a registry rebuilt from the history (a restart) keeps the last success and
    /// the counters; the listener ends promptly when its task is cancelled.
    @Test func textfileListenerAndRestart() async throws {
        let destination = try await TestDestination.make()
        let flag = FileManager.default.temporaryDirectory.path + "/backupd-metrics-fail-\(UUID().uuidString)"
        let (history, directory) = try temporaryHistory("metrics")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let textfile = directory + "/backupd.prom"
        var base = try IntegrationConfig.make(destination: destination, name: "measured", job: [
            "engine": "command", "connection": ["argv": ["/bin/sh", "-c", "if [ -e \(flag) ]; then exit 3; fi; seq 1 20000"]],
        ])
        base.metrics = MetricsConfig(textfile: textfile, listen: BindAddress(host: "127.0.0.1", port: 0))
        let config = base
        let provider = destination.provider
        let logger = Logger(label: "it.metrics")
        let metrics = MetricsObservers.make(config: config, history: history, clock: SystemWallClock(), logger: logger)
        let listener = try MetricsListener(address: try #require(config.metrics?.listen), registry: metrics.registry, logger: logger)
        #expect(listener.address.port > 0)
        let serving = Task { try await listener.run() }
        while !listener.isAccepting { try await Task.sleep(for: .milliseconds(10)) }
        // The backups, scrapes and parses block: run them on a thread of their own, not the shared pool.
        try await onOwnThread {
        let runner = BackupRunner(stores: provider, launcher: PosixProcessLauncher(), clock: SystemWallClock(), environment: Pipeline.defaultEnvironment)
        let recorder = RunRecorder(history: history, executor: runner, clock: SystemWallClock(), observers: metrics.observers)
        let job = config.jobs[0]
        let (_, ok) = try await recorder.perform(ScheduledRun(job: job.name, trigger: .schedule, scheduledFor: Date()), job: job, config: config, logger: logger)
        #expect(ok.status == .succeeded)
        _ = FileManager.default.createFile(atPath: flag, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: flag) }
        let (_, failed) = try await recorder.perform(ScheduledRun(job: job.name, trigger: .schedule, scheduledFor: Date()), job: job, config: config, logger: logger)
        #expect(failed.status == .failed)

        let fromFile = try PrometheusParser.parse(String(contentsOfFile: textfile, encoding: .utf8))
        let scrape = try httpGet("http://127.0.0.1:\(listener.address.port)/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.contentType == MetricsExposition.contentType)
        let fromListener = try PrometheusParser.parse(scrape.body)
        let bucketLabel = "backup_job=\"measured\",destination=\"test\""
        for parsed in [fromFile, fromListener] {
            #expect(parsed.samples["backupd_build_info{version=\"\(BackupKit.version)\"}"] == 1)
            #expect(parsed.samples["backupd_runs_total{backup_job=\"measured\",status=\"succeeded\"}"] == 1)
            #expect(parsed.samples["backupd_runs_total{backup_job=\"measured\",status=\"failed\"}"] == 1)
            #expect(parsed.samples["backupd_last_run_success{backup_job=\"measured\"}"] == 0)
            #expect(parsed.samples["backupd_last_backup_size_bytes{\(bucketLabel)}"] == Double(ok.bytesStored ?? -1))
            #expect(parsed.samples["backupd_uploaded_bytes_total{\(bucketLabel)}"] == Double(ok.bytesStored ?? -1))
            #expect(abs((parsed.samples["backupd_last_success_timestamp_seconds{backup_job=\"measured\"}"] ?? 0) - ok.endedAt.timeIntervalSince1970) < 0.01)
            #expect(parsed.samples["backupd_job_overdue{backup_job=\"measured\"}"] == 0)
            #expect((parsed.samples["backupd_next_run_timestamp_seconds{backup_job=\"measured\"}"] ?? 0) > Date().timeIntervalSince1970)
            #expect(parsed.types["backupd_runs"] == "counter")
            #expect(parsed.types["backupd_last_success_timestamp_seconds"] == "gauge")
        }
        #expect(try httpGet("http://127.0.0.1:\(listener.address.port)/other").status == 404)

        let restarted = try MetricsRegistry(config: config, clock: SystemWallClock(), history: history)
        let afterRestart = try PrometheusParser.parse(MetricsExposition.render(restarted))
        #expect(afterRestart.samples["backupd_last_success_timestamp_seconds{backup_job=\"measured\"}"] == fromFile.samples["backupd_last_success_timestamp_seconds{backup_job=\"measured\"}"])
        #expect(afterRestart.samples["backupd_runs_total{backup_job=\"measured\",status=\"succeeded\"}"] == 1)
        #expect(afterRestart.samples["backupd_uploaded_bytes_total{\(bucketLabel)}"] == Double(ok.bytesStored ?? -1))
        }

        // The accept thread ends at once on cancellation; measured on that thread's flag, not on
        // the task's return, which waits for a cooperative thread that a loaded test run may hold.
        let cancelled = Date()
        serving.cancel()
        while listener.isAccepting && Date().timeIntervalSince(cancelled) < 30 { usleep(10_000) }
        #expect(!listener.isAccepting, "the accept loop was still running 30 s after cancellation")
        try await serving.value
        #expect(throws: HTTPTransportError.self) { try httpGet("http://127.0.0.1:\(listener.address.port)/metrics") }
    }

    /// A listener on a port already taken fails at start with an error naming the address.
    @Test func bindFailureIsClear() async throws {
        let registry = MetricsRegistry(config: try IntegrationConfig.make(destination: await TestDestination.make(), name: "x", job: ["engine": "command", "connection": ["argv": ["true"]]]), clock: SystemWallClock())
        let first = try MetricsListener(address: BindAddress(host: "127.0.0.1", port: 0), registry: registry, logger: Logger(label: "t"))
        #expect {
            _ = try MetricsListener(address: first.address, registry: registry, logger: Logger(label: "t"))
        } throws: { error in
            "\(error)".contains("cannot listen for metrics on 127.0.0.1:\(first.address.port)")
        }
    }
}
