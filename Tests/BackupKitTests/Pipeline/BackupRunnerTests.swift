import BackupTestSupport
import Foundation
import Logging
import SigV4
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Collects progress reports.
final class ProgressLog: Sendable {
    private let entries = Mutex<[RunProgress]>([])
    var all: [RunProgress] { entries.withLock { $0 } }
    func record(_ progress: RunProgress) { entries.withLock { $0.append(progress) } }
}

/// Runs `job1` of `config` with the real launcher into `store`.
func runJob(
    _ config: BackupConfig, store: MemoryObjectStore, launcher: any ProcessLauncher = PosixProcessLauncher(),
    progress: ProgressLog = ProgressLog()
) async throws -> RunOutcome {
    let tmp = try TemporaryDirectory()
    defer { tmp.remove() }
    let runner = BackupRunner(
        stores: store, launcher: launcher, clock: FixedClock(time: pipelineStart), environment: testEnvironment,
        secretsParent: tmp.path, host: "testhost", makeToken: { testToken })
    let outcome = await runner.execute(
        job: config.job(named: "job1")!, config: config, startedAt: pipelineStart,
        progress: { progress.record($0) }, logger: Logger(label: "test"))
    // Credentials never outlive the run.
    #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
    return outcome
}

/// A command job running `sh -c script`.
func shellJob(_ script: String, compression: String = "zstd", timeout: String? = nil, environment: [String: Any] = [:]) throws -> BackupConfig {
    try pipelineConfig(
        ["engine": "command", "connection": ["argv": ["sh", "-c", script], "restoreArgv": ["sh", "-c", "cat > \"$OUT\""], "extension": "tar", "environment": environment]],
        compression: compression, timeout: timeout)
}

@Suite("Backup runner", .ownThreads)
struct BackupRunnerTests {
    /// Runs leave nothing behind: after 40 backups no run's tool process (and with it its pipes)
    /// is still held (the timeout timer used to keep each run's tool and pipes for the whole 24 h
    /// timeout). Checked on the processes themselves, not on the test process's descriptor count,
    /// which the tests running alongside move by dozens.
    @Test func runsDoNotKeepTheirProcesses() async throws {
        let config = try shellJob("echo data")
        let launcher = WeakTrackingLauncher()
        for _ in 0..<40 {
            let outcome = try await runJob(config, store: MemoryObjectStore(), launcher: launcher)
            #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        }
        #expect(launcher.launched == 40)
        // Timers release their handlers on their queue, a moment after the run.
        for _ in 0..<250 where launcher.alive > 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(launcher.alive == 0, "\(launcher.alive) of 40 runs' processes are still held")
    }

    /// A dump streams through zstd/gzip/none into one object with the expected name, metadata and
    /// content, and the upload id is reported before the first part.
    @Test(arguments: [("zstd", ".tar.zst"), ("gzip", ".tar.gz"), ("none", ".tar")])
    func success(compression: String, suffix: String) async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let progress = ProgressLog()
        let config = try shellJob("head -c 3000000 /dev/urandom | od -An -tx1; echo note >&2", compression: compression)
        let outcome = try await runJob(config, store: store, progress: progress)
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let key = "pre/fix/job1-20261125T023000Z-" + testToken + suffix
        #expect(outcome.objectKey == key)
        #expect(store.keys == [key, manifestKey].sorted())
        let stored = try #require(store.bytes(of: key))
        #expect(outcome.bytesStored == Int64(stored.count))
        #expect(outcome.bytesRead! > 8_000_000)
        #expect(outcome.sha256 == SHA256.hex(SHA256.hash(stored)))
        #expect(outcome.stderrTail == "note\n")
        #expect(outcome.exitStatus == 0)
        let restored = try decompress(stored, Compression(rawValue: compression)!)
        #expect(Int64(restored.count) == outcome.bytesRead)
        let head = try await #require(try store.head(key: key))
        #expect(head.metadata["engine"] == "command")
        #expect(head.metadata["compression"] == compression)
        let first = try #require(progress.all.first)
        #expect(first.uploadID == "upload-1")
        #expect(first.objectKey == key)
        #expect(first.bucket == "backups")
        #expect(first.destination == "local")
    }

    /// A tool that fails after writing output aborts the upload: no object, the reason names the
    /// job and the tool, and the stderr tail is kept.
    @Test func nonZeroExitAborts() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let config = try shellJob("head -c 3000000 /dev/urandom; echo 'pg_dump: error: query failed: boom' >&2; exit 1")
        let outcome = try await runJob(config, store: store)
        #expect(outcome.status == .failed)
        #expect(store.keys.isEmpty)
        #expect(store.abortedKeys == ["pre/fix/job1-20261125T023000Z-" + testToken + ".tar.zst"])
        await #expect(try store.openUploads(prefix: "").isEmpty)
        #expect(outcome.exitStatus == 1)
        #expect(outcome.error?.contains("job job1: sh failed (exit status 1): pg_dump: error: query failed: boom") == true)
        #expect(outcome.stderrTail?.contains("boom") == true)
    }

    /// Output that ends because the tool was killed mid-stream aborts the upload.
    @Test func killedMidStreamAborts() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let outcome = try await runJob(try shellJob("head -c 2500000 /dev/urandom; kill -9 $$"), store: store)
        #expect(outcome.status == .failed)
        #expect(store.keys.isEmpty)
        #expect(store.abortedKeys.count == 1)
        #expect(outcome.error?.contains("signal 9") == true)
    }

    /// A tool exceeding the job's timeout is killed (with its children) and the upload aborted.
    @Test func timeoutKillsAndAborts() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let started = Date()
        let outcome = try await runJob(try shellJob("head -c 1000 /dev/zero; sleep 60 & wait", timeout: "1s"), store: store)
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(outcome.status == .failed)
        #expect(outcome.error == "job job1: timed out after 1s: the dump was killed and its upload aborted; raise \"timeout\" or find what slows it")
        #expect(store.keys.isEmpty)
        #expect(store.abortedKeys.count == 1)
    }

    /// A failing upload kills the tool (which would otherwise block forever on a full pipe).
    @Test func uploadFailureKillsTool() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20, failAfter: 2 << 20)
        let started = Date()
        let outcome = try await runJob(try shellJob("cat /dev/zero", compression: "none"), store: store)
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("upload of pre/fix/job1-20261125T023000Z-0123abcd.tar to local failed: injected upload failure; sh was stopped") == true)
        #expect(outcome.exitStatus == Int32(137))
        #expect(store.keys.isEmpty)
    }

    /// Cancelling (daemon shutdown) kills the tool, aborts, and records the run as interrupted.
    @Test func cancellationInterrupts() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let config = try shellJob("head -c 100 /dev/zero; sleep 60")
        let run = StoppableTask { try await runJob(config, store: store) }
        try await Task.sleep(for: .milliseconds(500))
        run.stop("backupd is shutting down")
        let outcome = try await run.value
        #expect(outcome.status == .interrupted)
        #expect(outcome.error == "job job1: stopped: backupd is shutting down")
        #expect(store.keys.isEmpty)
    }

    /// Secret values a tool prints on stderr are redacted in the tail and the error.
    @Test func stderrRedacted() async throws {
        let store = MemoryObjectStore()
        let config = try shellJob("echo \"connecting with $TOKEN\" >&2; exit 2", environment: ["TOKEN": "tok-9f8e7d"])
        let outcome = try await runJob(config, store: store)
        #expect(outcome.status == .failed)
        #expect(outcome.stderrTail == "connecting with <redacted>\n")
        #expect(outcome.error?.contains("tok-9f8e7d") == false)
        #expect(outcome.error?.contains("<redacted>") == true)
    }

    /// A missing tool fails before any upload starts, naming the job and the tool.
    @Test func missingTool() async throws {
        let store = MemoryObjectStore()
        let config = try pipelineConfig(["engine": "command", "connection": ["argv": ["no-such-dumper-xyz"]]])
        let outcome = try await runJob(config, store: store)
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix("job job1: no-such-dumper-xyz is not installed or not on PATH") == true)
        #expect(store.abortedKeys.isEmpty)
    }

    /// A restore pipes the decompressed object into restoreArgv and gives back the exact bytes.
    @Test func restoreThroughRestoreArgv() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let source = tmp.path + "/source.bin"
        try Data(sampleData).write(to: URL(fileURLWithPath: source))
        let config = try pipelineConfig([
            "engine": "command",
            "connection": ["argv": ["cat", source], "restoreArgv": ["sh", "-c", "cat > \(tmp.path)/restored.bin"], "extension": "bin"],
        ])
        let outcome = try await runJob(config, store: store)
        #expect(outcome.status == .succeeded)
        let restorer = Restorer(stores: store, launcher: PosixProcessLauncher(), environment: testEnvironment, secretsParent: tmp.path)
        let result = try await restorer.restore(
            job: config.job(named: "job1")!, config: config, key: nil, options: RestoreOptions(), logger: Logger(label: "test"))
        #expect(result.key == outcome.objectKey)
        #expect(result.bytesRestored == Int64(sampleData.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: tmp.path + "/restored.bin")) == Data(sampleData))
    }

    /// A restore tool that fails reports its stderr.
    @Test func restoreToolFailure() async throws {
        let store = MemoryObjectStore(partSize: 1 << 20)
        let config = try pipelineConfig([
            "engine": "command",
            "connection": ["argv": ["head", "-c", "5000000", "/dev/urandom"], "restoreArgv": ["sh", "-c", "head -c 10 >/dev/null; echo 'restore refused' >&2; exit 4"]],
        ])
        await #expect(try await runJob(config, store: store).status == .succeeded)
        let restorer = Restorer(stores: store, launcher: PosixProcessLauncher(), environment: testEnvironment)
        await #expect(throws: EngineError.toolFailed(job: "job1", tool: "sh", exit: .exited(4), detail: "restore refused")) {
            _ = try await restorer.restore(job: config.job(named: "job1")!, config: config, key: nil, options: RestoreOptions(), logger: Logger(label: "test"))
        }
    }
}

/// Launches through `PosixProcessLauncher` and keeps a weak reference to each process, to tell
/// whether anything still holds one after its run.
private final class WeakTrackingLauncher: ProcessLauncher, @unchecked Sendable {
    private struct Weak { weak var process: (any RunningProcess)? }
    private let lock = NSLock()
    private var processes: [Weak] = []

    func launch(_ spec: ProcessSpec) throws -> any RunningProcess {
        let process = try PosixProcessLauncher().launch(spec)
        lock.withLock { processes.append(Weak(process: process)) }
        return process
    }

    func locate(_ program: String, path: String) -> String? { PosixProcessLauncher().locate(program, path: path) }

    var launched: Int { lock.withLock { processes.count } }
    var alive: Int { lock.withLock { processes.filter { $0.process != nil }.count } }
}
