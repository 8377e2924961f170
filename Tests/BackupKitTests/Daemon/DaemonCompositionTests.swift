import BackupTestSupport
import Foundation
import Logging
import ServiceLifecycle
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Writes a one-job config (a command job `nightly` to an endpoint nothing listens on) to the
/// fixture's path, with `verify` as the job's verify settings when given.
private func writeConfig(_ fixture: DaemonFixture, verify: String? = nil) throws {
    let text = """
        {"stateDirectory": "\(fixture.stateDirectory)", "shutdownGracePeriod": "1s",
         "destinations": [{"name": "local", "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "backups",
                           "accessKeyId": "AK", "secretAccessKey": "SK"}],
         "jobs": [{"name": "nightly", "engine": "command", "schedule": "0 0 1 1 *", "destination": "local", "prefix": "p/nightly",
                   \(verify.map { "\"verify\": \($0)," } ?? "")
                   "connection": {"argv": ["true"], "extension": ".bin"}}]}
        """
    try text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
}

/// Runs `daemon`'s service group until it schedules; returns the group's task.
private func startScheduling(_ daemon: Daemon) async throws -> (ServiceGroup, Task<Void, any Error>) {
    let group = await daemon.makeServiceGroup(gracefulShutdownSignals: [])
    let task = Task { try await group.run() }
    for _ in 0..<500 where !daemon.isScheduling { try await Task.sleep(for: .milliseconds(10)) }
    return (group, task)
}

@Suite("Daemon composition", .ownThreads)
struct DaemonCompositionTests {
    /// A reload puts the new config in the one `ConfigStore` (what every part reads, the
    /// sweeper's reader included) and gives the scheduler the new items: a verify schedule added
    /// to the file becomes the item `verify:nightly` beside the backup, and goes again when removed.
    @Test func reloadSwapsTheConfigStoreAndTheScheduledItems() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        try writeConfig(fixture)
        let (config, _) = try BackupConfig.load(path: fixture.configPath)
        let history = try fixture.history()
        let configs = ConfigStore(path: fixture.configPath, config: config)
        var dependencies = Daemon.Dependencies(
            clock: SystemWallClock(), notifier: SystemdNotifier(environment: [:]), executor: BlockingExecutor(), stores: MemoryObjectStore(),
            sources: .live)
        let runner = VerifyRunner(stores: MemoryObjectStore(), launcher: PosixProcessLauncher(), environment: [:], clock: SystemWallClock(), history: history)
        dependencies.verifier = ScheduledVerifier(runner: runner, config: configs.reader, clock: SystemWallClock(), logger: Logger(label: "test"))
        let daemon = Daemon(configs: configs, history: history, dependencies: dependencies, logger: Logger(label: "test"))
        let reader = configs.reader
        let (group, task) = try await startScheduling(daemon)
        #expect(daemon.scheduler.inspect { $0.jobNames } == ["nightly"])

        try writeConfig(fixture, verify: #"{"schedule": "0 3 * * *"}"#)
        daemon.reload()
        #expect(reader().jobs.first?.verify?.schedule != nil)
        #expect(daemon.config.jobs.first?.verify?.schedule != nil)
        #expect(daemon.scheduler.inspect { $0.jobNames } == ["nightly", "verify:nightly"])

        try writeConfig(fixture)
        daemon.reload()
        #expect(reader().jobs.first?.verify?.schedule == nil)
        #expect(daemon.scheduler.inspect { $0.jobNames } == ["nightly"])
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// `Daemon.live`, the composition root `backupd run` calls, wires the scheduled verifier into
    /// the daemon's one scheduler (`verify:nightly` is scheduled beside the backup), the upload
    /// sweeper among its services, and no metrics listener when the config has no `metrics`.
    @Test func liveRootSchedulesVerificationsOnTheOneScheduler() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        try writeConfig(fixture, verify: #"{"schedule": "0 3 * * *"}"#)
        let (config, _) = try BackupConfig.load(path: fixture.configPath)
        let daemon = try Daemon.live(configPath: fixture.configPath, config: config, logger: Logger(label: "test"), environment: [:])
        #expect(daemon.dependencies.verifier != nil)
        #expect(daemon.dependencies.services.contains { $0 is UploadSweeper })
        #expect(!daemon.dependencies.services.contains { $0 is MetricsListener })
        #expect(daemon.configs.path == fixture.configPath)
        let (group, task) = try await startScheduling(daemon)
        #expect(daemon.isScheduling)
        #expect(daemon.scheduler.inspect { $0.jobNames } == ["nightly", "verify:nightly"])
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// With `metrics.listen`, `Daemon.live` binds the listener before anything runs (so a taken
    /// address fails the start, naming it) and makes the registry follow reloads.
    @Test func liveRootBindsTheMetricsListener() throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        try writeConfig(fixture)
        var (config, _) = try BackupConfig.load(path: fixture.configPath)
        config.metrics = MetricsConfig(listen: BindAddress(host: "127.0.0.1", port: 0))
        let daemon = try Daemon.live(configPath: fixture.configPath, config: config, logger: Logger(label: "test"), environment: [:])
        let listener = try #require(daemon.dependencies.services.compactMap { $0 as? MetricsListener }.first)
        #expect(listener.address.port > 0)
        #expect(daemon.dependencies.reloaded.count == 1)
        config.metrics = MetricsConfig(listen: listener.address)
        #expect {
            _ = try Daemon.live(configPath: fixture.configPath, config: config, logger: Logger(label: "test"), environment: [:])
        } throws: { error in
            "\(error)".contains("cannot listen for metrics on 127.0.0.1:\(listener.address.port)")
        }
    }
}
