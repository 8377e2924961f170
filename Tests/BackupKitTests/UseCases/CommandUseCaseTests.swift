import BackupTestSupport
import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupHistory
@testable import ConfigKit

/// A provider whose every store fails to open, as a destination with a bad endpoint would.
struct UnopenableStores: ObjectStoreProvider {
    struct Refused: Error, CustomStringConvertible { var description: String { "cannot reach the endpoint" } }
    func store(for destination: DestinationConfig) throws -> any BackupObjectStore { throw Refused() }
}

/// The use cases the commands call with stores behind a seam: `prune` (`PruneJobs`), the
/// `--destination` choice (`JobBackups.focus`), `fleet` (`FleetReport`) and `check`'s table step.
@Suite("Command use cases", .ownThreads)
struct CommandUseCaseTests {
    /// Job `app` at "local" and "archive" (PerDestinationPruneTests' config) with its state in `directory`.
    static func config(stateDirectory directory: String) throws -> BackupConfig {
        var config = try PerDestinationPruneTests.config()
        config.stateDirectory = directory
        return config
    }

    /// A dry run writes no history and deletes nothing; each destination's report is no failure.
    @Test func dryRunPrunesNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try Self.config(stateDirectory: directory.path)
        let local = PrunerTests.bucket()
        let archive = PrunerTests.bucket()
        let before = (local.keys, archive.keys)
        let prune = try PruneJobs(
            config: config, dryRun: true, stores: PruneStoresByName(stores: ["local": local, "archive": archive]), claims: nil,
            clock: ManualWallClock(PrunerTests.now), warn: { Issue.record("unexpected warning \($0)") })
        #expect(prune.history == nil)
        guard case .ran(let pruned) = await prune.prune(config.jobs[0], only: nil, logger: Logger(label: "test")) else {
            Issue.record("a dry run was refused")
            return
        }
        #expect(pruned.map(\.destination) == ["local", "archive"])
        #expect(pruned.allSatisfy { !$0.failed && $0.problem == nil })
        #expect(local.keys == before.0 && archive.keys == before.1)
        #expect(prune.trimHistory() == nil)
        #expect(!CommandHistory.exists(config))
    }

    /// A prune deletes what the policy no longer keeps at the named destination only, with the
    /// history opened for writing; a failed listing elsewhere is that destination's failure, with its reason.
    @Test func pruneAndFailedListing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try Self.config(stateDirectory: directory.path)
        let local = PrunerTests.bucket()
        let archive = PrunerTests.bucket()
        archive.failListing(true)
        let prune = try PruneJobs(
            config: config, dryRun: false, stores: PruneStoresByName(stores: ["local": local, "archive": archive]), claims: nil,
            clock: ManualWallClock(PrunerTests.now), warn: { Issue.record("unexpected warning \($0)") })
        #expect(prune.history != nil && CommandHistory.exists(config))
        guard case .ran(let pruned) = await prune.prune(config.jobs[0], only: nil, logger: Logger(label: "test")) else {
            Issue.record("the prune was refused")
            return
        }
        #expect(pruned.map(\.failed) == [false, true])
        #expect(pruned[0].problem == nil)
        #expect(pruned[1].problem?.contains("ListObjectsV2 page 2 failed with HTTP 500") == true)
        #expect(prune.trimHistory() == nil)
    }

    /// `--destination` names one of the job's destinations (it becomes the first), else the error lists them.
    @Test func focusOnANamedDestination() async throws {
        let config = try PerDestinationPruneTests.config()
        let backups = JobBackups(config: config, stores: UnopenableStores())
        let job = config.jobs[0]
        #expect(try await backups.focus(job, on: "archive", holding: nil).destinations == ["archive", "local"])
        await #expect(throws: DestinationFocusError.unknownDestination(job: "app", name: "tape", known: ["local", "archive"])) {
            try await backups.focus(job, on: "tape", holding: nil)
        }
        #expect(DestinationFocusError.unknownDestination(job: "app", name: "tape", known: ["local", "archive"]).description
            == "job app has no destination named \"tape\"; its destinations: local, archive")
    }

    /// Without `--destination`, destinations that cannot be read hold nothing: the job stays as configured.
    @Test func focusWithoutAReadableDestination() async throws {
        let config = try PerDestinationPruneTests.config()
        let focused = try await JobBackups(config: config, stores: UnopenableStores()).focus(config.jobs[0], on: nil, holding: nil)
        #expect(focused.destinations == ["local", "archive"])
    }

    /// `fleet` reports a job whose bucket cannot be read as a line naming it (exit 2 in the command), not as a status.
    @Test func fleetUnreadableJob() async throws {
        let config = try PerDestinationPruneTests.config()
        let report = await FleetReport.read(
            config: config, reader: FleetReader(stores: UnopenableStores()), clock: ManualWallClock(PrunerTests.now), logger: Logger(label: "test"))
        #expect(report.statuses.isEmpty)
        #expect(report.unreadable == ["cannot read job app from its bucket: cannot reach the endpoint"])
    }

    /// `check JOB`'s table step: a job without `tables` asks nothing; a config that does not load is its error.
    @Test func tableStep() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/config.json"
        try configText().write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(ConfigCheck.tables(job: "app-db", configPath: path) == .none)
        guard case .configError(let message) = ConfigCheck.tables(job: "app-db", configPath: directory.path + "/missing.json") else {
            Issue.record("a missing config was not a config error")
            return
        }
        #expect(message.contains("missing.json"))
    }

    /// `check NAME` names a destination, else a job (its destinations in its order), else nothing:
    /// then the message names the config file and the destinations.
    @Test func checkTarget() throws {
        let config = try PerDestinationPruneTests.config()
        guard case .everyDestination = ConfigCheck.target(nil, in: config, path: "/etc/backupd.json") else {
            Issue.record("no name did not check every destination")
            return
        }
        guard case .destination(let found) = ConfigCheck.target("archive", in: config, path: "/etc/backupd.json") else {
            Issue.record("a destination's name was not a destination")
            return
        }
        #expect(found.name == "archive")
        guard case .job(let name) = ConfigCheck.target("app", in: config, path: "/etc/backupd.json") else {
            Issue.record("a job's name was not a job")
            return
        }
        #expect(name == "app")
        #expect(ConfigCheck.destinations(of: config.jobs[0], in: config).map(\.name) == ["local", "archive"])
        guard case .unknown(let message) = ConfigCheck.target("tape", in: config, path: "/etc/backupd.json") else {
            Issue.record("an unknown name was accepted")
            return
        }
        #expect(message.hasPrefix("no destination or job named \"tape\" in /etc/backupd.json"))
        #expect(message.hasSuffix("; destinations: local, archive"))
    }
}
