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

/// The first line of `log` at journald priority `prefix` (`<3>` error) that contains every one of `texts`.
func logLine(_ log: String, priority prefix: String, containing texts: String...) -> Substring? {
    log.split(separator: "\n").first { line in line.hasPrefix(prefix) && texts.allSatisfy { line.contains($0) } }
}

/// One owner, really, through the real binary: a removed or replaced lock file, a reload that
/// would move the state directory, a history file removed under the daemon.
@Suite("Daemon single owner", .timeLimit(.minutes(3)), .ownThreads)
struct DaemonSingleOwnerTests {
    /// backupd.lock deleted under a running daemon: a second daemon still refuses to start (at
    /// once, and after the first noticed), the first keeps its control socket, says so at error
    /// priority, locks a new lock file naming itself and goes on taking runs.
    @Test func removedLockFileIsLockedAgain() async throws {
        let setup = try await OwnershipSetup(label: "own-lockrm")
        defer { setup.remove() }
        try setup.writeConfig(jobs: [OwnershipSetup.job("a", bytes: 1000, seconds: 0)])
        let first = try setup.daemon()
        defer { first.cleanUp() }
        #expect(await first.notify.waitFor("READY=1", timeout: 20), "log:\n\(first.log)")
        let pid = first.process.processIdentifier
        let lockPath = setup.stateDirectory + "/backupd.lock"
        let socketPath = setup.stateDirectory + "/control.sock"
        let socketBefore = try #require(FileIdentity(path: socketPath))
        #expect(unlink(lockPath) == 0)

        // At once, before the first can have noticed: the state directory's own lock keeps it out.
        let early = try setup.daemon()
        defer { early.cleanUp() }
        #expect(await early.waitForExit(timeout: 15) == 1, "log:\n\(early.log)")
        #expect(early.log.contains("is locked by"), "log:\n\(early.log)")
        #expect(FileIdentity(path: socketPath) == socketBefore, "the second daemon touched the first one's control socket")

        let noticed = await poll(timeout: 10) {
            logLine(first.log, priority: "<3>", containing: "the state lock file was removed or replaced", lockPath) != nil
        }
        #expect(noticed, "log:\n\(first.log)")
        #expect((try? String(contentsOfFile: lockPath, encoding: .utf8)) == "\(pid) daemon\n")

        let second = try setup.daemon()
        defer { second.cleanUp() }
        #expect(await second.waitForExit(timeout: 15) == 1, "log:\n\(second.log)")
        #expect(second.log.contains("locked by the backupd daemon (pid \(pid))"), "log:\n\(second.log)")
        #expect(!second.notify.received.contains { $0.contains("READY=1") })
        #expect(FileIdentity(path: socketPath) == socketBefore)

        let runNow = try setup.backupd(["run-now", "a"])
        defer { runNow.kill() }
        #expect(await runNow.waitForExit(timeout: 60) == 0, "run-now: \(runNow.stderr)\nlog:\n\(first.log)")
        #expect(runNow.stderr.contains("started in the daemon (pid \(pid))"), "\(runNow.stderr)")
        #expect(try setup.runs("a").map(\.status) == [.succeeded])
        first.send(SIGTERM)
        #expect(await first.waitForExit(timeout: 30) == 0)
    }

    /// A lock file put in place by another process that holds it (an older backupd, say): the
    /// daemon cannot lock it again, so it refuses runs (error priority, run-now told why and not
    /// recorded as a history row) until the other lets go; then it locks it and takes runs again.
    @Test func lockFileHeldByAnotherRefusesRuns() async throws {
        let setup = try await OwnershipSetup(label: "own-lockheld")
        defer { setup.remove() }
        try setup.writeConfig(jobs: [OwnershipSetup.job("a", bytes: 1000, seconds: 0)])
        let daemon = try setup.daemon()
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")
        let lockPath = setup.stateDirectory + "/backupd.lock"
        #expect(unlink(lockPath) == 0)
        let other = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(other >= 0 && flock(other, LOCK_EX) == 0)
        var released = false
        defer { if !released { close(other) } }

        let refusing = await poll(timeout: 10) {
            logLine(daemon.log, priority: "<3>", containing: "runs are refused", "cannot be locked again") != nil
        }
        #expect(refusing, "log:\n\(daemon.log)")
        let refused = try setup.backupd(["run-now", "a"])
        defer { refused.kill() }
        #expect(await refused.waitForExit(timeout: 30) == 1, "run-now: \(refused.stderr)")
        #expect(refused.stderr.contains("job a was not started") && refused.stderr.contains("cannot be locked again"), "\(refused.stderr)")
        // A refused run-now is answered, not recorded.
        let recorded = try setup.runs("a")
        #expect(recorded.isEmpty, "\(recorded)")
        #expect(logLine(daemon.log, priority: "<3>", containing: "run refused", "job.name=a") != nil, "log:\n\(daemon.log)")

        close(other)
        released = true
        #expect(await daemon.waitForLog("the daemon owns its state again", timeout: 10), "log:\n\(daemon.log)")
        let runNow = try setup.backupd(["run-now", "a"])
        defer { runNow.kill() }
        #expect(await runNow.waitForExit(timeout: 60) == 0, "run-now: \(runNow.stderr)\nlog:\n\(daemon.log)")
        #expect(try setup.runs("a").filter { $0.status == .succeeded }.count == 1)
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0)
    }

    /// The whole state directory moved away and a new one made in its place: the daemon says so at
    /// error priority and refuses runs until restarted (its history and socket went with the old
    /// one), and it holds the new directory, so a second daemon there still refuses to start.
    @Test func replacedStateDirectoryRefusesRuns() async throws {
        let setup = try await OwnershipSetup(label: "own-dirmv")
        defer { setup.remove() }
        try setup.writeConfig(jobs: [OwnershipSetup.job("a", bytes: 1000, seconds: 0)])
        let daemon = try setup.daemon()
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")
        #expect(rename(setup.stateDirectory, setup.directory + "/state-aside") == 0)
        try FileManager.default.createDirectory(atPath: setup.stateDirectory, withIntermediateDirectories: false)

        let refusing = await poll(timeout: 10) {
            logLine(daemon.log, priority: "<3>", containing: "runs are refused", "the state directory \(setup.stateDirectory) was replaced",
                    "restart backupd") != nil
        }
        #expect(refusing, "log:\n\(daemon.log)")
        let second = try setup.daemon()
        defer { second.cleanUp() }
        #expect(await second.waitForExit(timeout: 15) == 1, "log:\n\(second.log)")
        #expect(second.log.contains("is locked by"), "log:\n\(second.log)")
        #expect(daemon.process.isRunning)
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0, "log:\n\(daemon.log)")
    }

    /// SIGHUP after the config's stateDirectory changed: the reload is refused at error priority
    /// naming the setting and asking for a restart; the old config stays in force (a run-now
    /// through it runs in the daemon and is recorded in the old directory), and a run-now reading
    /// the edited file does not run beside the daemon: nothing is recorded in the new directory.
    @Test func reloadChangingStateDirectoryIsRefused() async throws {
        let setup = try await OwnershipSetup(label: "own-reload")
        defer { setup.remove() }
        try setup.writeConfig(jobs: [OwnershipSetup.job("a", bytes: 1000, seconds: 0)])
        let oldConfig = setup.directory + "/old-config.json"
        try FileManager.default.copyItem(atPath: setup.configPath, toPath: oldConfig)
        let daemon = try setup.daemon()
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")
        let moved = setup.directory + "/state-moved"
        let edited = try String(contentsOfFile: setup.configPath, encoding: .utf8)
            .replacingOccurrences(of: "\"\(setup.stateDirectory)\"", with: "\"\(moved)\"")
        try edited.write(toFile: setup.configPath, atomically: true, encoding: .utf8)
        chmod(setup.configPath, 0o600)

        daemon.send(SIGHUP)
        let refused = await poll(timeout: 10) {
            logLine(daemon.log, priority: "<3>", containing: "config reload refused: stateDirectory changed from \"\(setup.stateDirectory)\" to \"\(moved)\"",
                    "restart backupd") != nil
        }
        #expect(refused, "log:\n\(daemon.log)")
        #expect(!daemon.log.contains("config reloaded"))

        let beside = try setup.backupd(["run-now", "a"])
        defer { beside.kill() }
        #expect(await beside.waitForExit(timeout: 30) == 1, "run-now: \(beside.stderr)")
        #expect(beside.stderr.contains("runs on its previous state directory until it is restarted"), "\(beside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: moved + "/" + HistoryStore.fileName))

        let inDaemon = try BackupdProcess(["run-now", "a", "--config", oldConfig], directory: setup.directory, environment: setup.environment)
        defer { inDaemon.kill() }
        #expect(await inDaemon.waitForExit(timeout: 60) == 0, "run-now: \(inDaemon.stderr)\nlog:\n\(daemon.log)")
        #expect(inDaemon.stderr.contains("started in the daemon (pid \(daemon.process.processIdentifier))"), "\(inDaemon.stderr)")
        #expect(try setup.runs("a").map(\.status) == [.succeeded])
        #expect(!FileManager.default.fileExists(atPath: moved + "/" + HistoryStore.fileName))
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0)
    }

    /// The history file moved away under the daemon: reported at error priority, runs refused
    /// (run-now told, nothing written to a file that is no longer the history); moved back, runs
    /// are taken and recorded there. Deleted for good: refused until a restart opens a new history.
    @Test func removedHistoryRefusesRuns() async throws {
        let setup = try await OwnershipSetup(label: "own-history")
        defer { setup.remove() }
        try setup.writeConfig(jobs: [OwnershipSetup.job("a", bytes: 1000, seconds: 0)])
        let daemon = try setup.daemon()
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")
        let path = setup.stateDirectory + "/" + HistoryStore.fileName
        #expect(rename(path, path + ".aside") == 0)

        let noticed = await poll(timeout: 10) {
            logLine(daemon.log, priority: "<3>", containing: "runs are refused", "the history database \(path) was removed") != nil
        }
        #expect(noticed, "log:\n\(daemon.log)")
        let refused = try setup.backupd(["run-now", "a"])
        defer { refused.kill() }
        #expect(await refused.waitForExit(timeout: 30) == 1, "run-now: \(refused.stderr)")
        #expect(refused.stderr.contains("job a was not started") && refused.stderr.contains("was removed"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path), "a new history file appeared")

        #expect(rename(path + ".aside", path) == 0)
        #expect(await daemon.waitForLog("the daemon owns its state again", timeout: 10), "log:\n\(daemon.log)")
        let runNow = try setup.backupd(["run-now", "a"])
        defer { runNow.kill() }
        #expect(await runNow.waitForExit(timeout: 60) == 0, "run-now: \(runNow.stderr)\nlog:\n\(daemon.log)")
        #expect(try setup.runs("a").map(\.status) == [.succeeded])

        #expect(unlink(path) == 0)
        let gone = await poll(timeout: 10) {
            daemon.log.split(separator: "\n").filter { $0.hasPrefix("<3>") && $0.contains("runs are refused") }.count == 2
        }
        #expect(gone, "log:\n\(daemon.log)")
        let again = try setup.backupd(["run-now", "a"])
        defer { again.kill() }
        #expect(await again.waitForExit(timeout: 30) == 1, "run-now: \(again.stderr)")
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0, "log:\n\(daemon.log)")

        let restarted = try setup.daemon()
        defer { restarted.cleanUp() }
        #expect(await restarted.notify.waitFor("READY=1", timeout: 20), "log:\n\(restarted.log)")
        let fresh = try setup.backupd(["run-now", "a"])
        defer { fresh.kill() }
        #expect(await fresh.waitForExit(timeout: 60) == 0, "run-now: \(fresh.stderr)\nlog:\n\(restarted.log)")
        #expect(try setup.runs("a").map(\.status) == [.succeeded])
        restarted.send(SIGTERM)
        #expect(await restarted.waitForExit(timeout: 30) == 0)
    }
}
