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

@Suite("State ownership", .ownThreads)
struct StateOwnershipTests {
    /// The state directory itself is locked: with backupd.lock deleted, a second holder is still
    /// refused; `check()` sees the removal, locks a new file naming this process, and is intact again.
    @Test func removedLockFileIsLockedAgain() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = directory.path + "/state"
        let lock = try StateLock.acquire(stateDirectory: state, role: .daemon)
        #expect(lock.check() == .intact)
        #expect(unlink(lock.path) == 0)
        #expect(throws: StateLockError.held(path: lock.path, holder: nil)) {
            _ = try StateLock.acquire(stateDirectory: state, role: .daemon)
        }
        guard case .fileRestored(let detail) = lock.check() else {
            Issue.record("the removal was not seen")
            return
        }
        #expect(detail.contains("\(lock.path) was removed"), "\(detail)")
        #expect(try String(contentsOfFile: lock.path, encoding: .utf8) == "\(getpid()) daemon\n")
        #expect(lock.check() == .intact)
        #expect(throws: StateLockError.held(path: lock.path, holder: StateLock.Holder(pid: getpid(), role: .daemon))) {
            _ = try StateLock.acquire(stateDirectory: state, role: .daemon)
        }
    }

    /// A lock file put in place and held by another holder cannot be taken back: `fileHeld`, until it is let go.
    @Test func lockFileHeldElsewhere() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let lock = try StateLock.acquire(stateDirectory: directory.path + "/state", role: .daemon)
        #expect(unlink(lock.path) == 0)
        let other = open(lock.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(flock(other, LOCK_EX | LOCK_NB) == 0)
        guard case .fileHeld = lock.check() else {
            Issue.record("a file held by another was taken")
            close(other)
            return
        }
        close(other)
        guard case .fileRestored = lock.check() else {
            Issue.record("the released file was not locked again")
            return
        }
        #expect(lock.check() == .intact)
    }

    /// A state directory moved away and replaced is reported (and the new one locked, so a second
    /// daemon is refused there too).
    @Test func replacedDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = directory.path + "/state"
        let lock = try StateLock.acquire(stateDirectory: state, role: .daemon)
        #expect(rename(state, directory.path + "/aside") == 0)
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
        guard case .directoryReplaced(let detail) = lock.check() else {
            Issue.record("the replacement was not seen")
            return
        }
        #expect(detail.contains("the state directory \(state) was replaced"), "\(detail)")
        #expect(throws: StateLockError.self) { _ = try StateLock.acquire(stateDirectory: state, role: .daemon) }
    }

    /// A read-write history checks its file before every use: moved away, writes fail naming the
    /// file and what to do (and no new file appears); moved back, they work; replaced by another
    /// file, they fail again.
    @Test func historyFileReplaced() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let history = try HistoryStore(stateDirectory: directory.path)
        let path = history.path
        #expect(history.fileProblem() == nil)
        _ = try history.insertSkipped(job: "a", trigger: .schedule, scheduledAt: nil, at: Date(), reason: "test")
        #expect(rename(path, path + ".aside") == 0)
        #expect(throws: HistoryError.fileReplaced(path: path, operation: "record the start of a run of job a", detail: "was removed")) {
            _ = try history.insertRunning(job: "a", trigger: .schedule, scheduledAt: nil, startedAt: Date())
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(HistoryError.fileReplaced(path: path, operation: "x", detail: "was removed").description.contains("restart backupd"))
        #expect(rename(path + ".aside", path) == 0)
        _ = try history.insertRunning(job: "a", trigger: .schedule, scheduledAt: nil, startedAt: Date())
        #expect(try history.runs(HistoryQuery(job: "a")).count == 2)
        try FileManager.default.copyItem(atPath: path, toPath: path + ".copy")
        #expect(rename(path + ".copy", path) == 0)
        guard case .fileReplaced(_, _, let detail)? = history.fileProblem() else {
            Issue.record("a replaced file was not seen")
            return
        }
        #expect(detail.hasPrefix("was replaced by another file"))
    }

    /// A reload may not change what the daemon reads only at start: the state directory (another
    /// spelling of the same one is fine) and the metrics listener and textfile; jobs may change.
    @Test func restartOnlySettings() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var old = try loadConfig(configText { _ in })
        old.stateDirectory = directory.path
        var same = old
        same.stateDirectory = directory.path + "/"
        same.jobs = []
        same.maxConcurrentJobs = 7
        #expect(old.restartOnlyChanges(to: same).isEmpty)
        var moved = old
        moved.stateDirectory = directory.path + "/elsewhere"
        #expect(old.restartOnlyChanges(to: moved) == [
            "stateDirectory changed from \"\(directory.path)\" to \"\(directory.path)/elsewhere\" (the history, state lock and control socket live there)"])
        var metrics = old
        metrics.metrics = MetricsConfig(textfile: "/var/lib/node/backupd.prom", listen: BindAddress(host: "127.0.0.1", port: 9187))
        let changes = old.restartOnlyChanges(to: metrics)
        #expect(changes.count == 2)
        #expect(changes.first?.hasPrefix("metrics.listen changed from (none) to \"127.0.0.1:9187\"") == true, "\(changes)")
        #expect(changes.last?.hasPrefix("metrics.textfile changed from (none) to \"/var/lib/node/backupd.prom\"") == true, "\(changes)")
    }
}
