import Foundation
import Glibc
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// `backupd` (any subcommand) as a child process with stdout and stderr in files.
final class BackupdProcess: @unchecked Sendable {
    let process = Process()
    let outPath: String
    let errPath: String

    init(_ arguments: [String], directory: String, environment: [String: String]) throws {
        let name = UUID().uuidString.prefix(8)
        outPath = "\(directory)/cmd-\(name).out"
        errPath = "\(directory)/cmd-\(name).err"
        for path in [outPath, errPath] { try Data().write(to: URL(fileURLWithPath: path)) }
        process.executableURL = URL(fileURLWithPath: try backupdBinary())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// The exit status, or nil if it still runs after `timeout`.
    func waitForExit(timeout: TimeInterval) async -> Int32? {
        let exited = await poll(timeout: timeout) { !process.isRunning }
        return exited ? process.terminationStatus : nil
    }

    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections and never answers: a destination that hangs.
final class SilentListener: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private let accepted = Mutex<[Int32]>([])
    private let stopped = Atomic<Bool>(false)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 64) == 0 else { throw TestSetupError("silent listener: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 200) > 0 else { continue }
                let client = accept(fd, nil, nil)
                if client >= 0 { accepted.withLock { $0.append(client) } }
            }
        }
        thread.start()
    }

    /// Connections accepted so far.
    var connections: Int { accepted.withLock { $0.count } }

    func close() {
        stopped.store(true, ordering: .relaxed)
        for client in accepted.withLock({ $0 }) { Glibc.close(client) }
        Glibc.close(fd)
    }
}

/// A state directory, a config with command jobs against radosgw and the env for its secrets.
struct OwnershipSetup {
    let directory: String
    let configPath: String
    let bucket: String
    let s3: TestS3
    let environment: [String: String]

    init(label: String) async throws {
        s3 = try TestS3.environment()
        bucket = try await s3.makeBucket(label).settings.bucket
        directory = FileManager.default.temporaryDirectory.path + "/backupd-own-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configPath = directory + "/config.json"
        environment = ["OWN_ACCESS_KEY": s3.accessKey, "OWN_SECRET_KEY": s3.secretKey]
    }

    var stateDirectory: String { directory + "/state" }

    func writeConfig(jobs: [String], extraDestinations: [String] = []) throws {
        let local = """
            {"name": "local", "endpoint": "\(s3.endpoint.absoluteString)", "region": "\(s3.region)", "bucket": "\(bucket)",
             "accessKeyId": {"env": "OWN_ACCESS_KEY"}, "secretAccessKey": {"env": "OWN_SECRET_KEY"}}
            """
        let text = """
            {"stateDirectory": "\(stateDirectory)", "shutdownGracePeriod": "30s",
             "destinations": [\(([local] + extraDestinations).joined(separator: ", "))],
             "jobs": [\(jobs.joined(separator: ",\n"))]}
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
    }

    /// A command job writing `bytes` random bytes, then sleeping `seconds` before it exits 0.
    static func job(_ name: String, bytes: Int, seconds: Int, schedule: String = "0 0 1 1 *", destination: String = "local") -> String {
        """
        {"name": "\(name)", "engine": "command", "schedule": "\(schedule)", "destination": "\(destination)", "prefix": "own/\(name)",
         "catchUp": "none", "compression": "none",
         "connection": {"argv": ["/bin/sh", "-c", "head -c \(bytes) /dev/urandom; sleep \(seconds)"], "extension": ".bin"}}
        """
    }

    func history() throws -> HistoryStore { try HistoryStore(stateDirectory: stateDirectory) }

    func runs(_ job: String) throws -> [RunRecord] { try history().runs(HistoryQuery(job: job)) }

    func backupd(_ arguments: [String]) throws -> BackupdProcess {
        try BackupdProcess(arguments + ["--config", configPath], directory: directory, environment: environment)
    }

    func daemon() throws -> DaemonProcess {
        try DaemonProcess(configPath: configPath, directory: directory, environment: environment)
    }

    /// Upload ids of the bucket's open multipart uploads, through the AWS CLI.
    func openUploads() throws -> [String] { try s3.openUploadIDs(bucket: bucket) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// One owner per run, through the real binary: the state lock, run-now through the daemon, a
/// daemon started during a run-now, a destination that never answers.
@Suite("Daemon ownership", .timeLimit(.minutes(3)), .ownThreads)
struct DaemonOwnershipTests {
    /// A second daemon on the same state directory exits 1 at once naming the first one's pid;
    /// the first keeps running.
    @Test func secondDaemonRefusesNamingThePid() async throws {
        let setup = try await OwnershipSetup(label: "own-two")
        defer { setup.remove() }
        try setup.writeConfig(jobs: [OwnershipSetup.job("a", bytes: 10, seconds: 0)])
        let first = try setup.daemon()
        defer { first.cleanUp() }
        #expect(await first.notify.waitFor("READY=1", timeout: 20), "log:\n\(first.log)")
        let second = try setup.daemon()
        defer { second.cleanUp() }
        let status = await second.waitForExit(timeout: 10)
        #expect(status == 1, "second daemon: \(String(describing: status)); log:\n\(second.log)")
        #expect(second.log.contains("locked by the backupd daemon (pid \(first.process.processIdentifier))"), "log:\n\(second.log)")
        #expect(!second.notify.received.contains { $0.contains("READY=1") })
        #expect(first.process.isRunning)
        first.send(SIGTERM)
        #expect(await first.waitForExit(timeout: 30) == 0)
    }

    /// With a daemon running, run-now runs the job in the daemon and prints the usual result
    /// lines; a second run-now of the job meanwhile is refused naming the run in progress (exit 1),
    /// one with --wait prints that run's result; the job ran once.
    @Test func runNowGoesThroughTheDaemon() async throws {
        let setup = try await OwnershipSetup(label: "own-runnow")
        defer { setup.remove() }
        try setup.writeConfig(jobs: [OwnershipSetup.job("slow", bytes: 3_000_000, seconds: 30)])
        let daemon = try setup.daemon()
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")

        let first = try setup.backupd(["run-now", "slow"])
        defer { first.kill() }
        var running: RunRecord?
        _ = try await poll(timeout: 20) {
            running = try setup.runs("slow").first { $0.status == .running }
            return running != nil
        }
        let run = try #require(running, "no running run; run-now stderr:\n\(first.stderr)\nlog:\n\(daemon.log)")
        let second = try setup.backupd(["run-now", "slow"])
        defer { second.kill() }
        #expect(await second.waitForExit(timeout: 20) == 1)
        #expect(second.stderr.contains("already running (run \(run.id)"), "second: \(second.stderr)")
        let waiting = try setup.backupd(["run-now", "--wait", "slow"])
        defer { waiting.kill() }

        #expect(await first.waitForExit(timeout: 60) == 0, "first: \(first.stderr)\nlog:\n\(daemon.log)")
        #expect(first.stdout.contains("backed up slow in") && first.stdout.contains("(run \(run.id))"), "stdout: \(first.stdout)")
        #expect(first.stdout.contains("  sha256   ") && first.stdout.contains("s3://\(setup.bucket)/own/slow/"))
        #expect(first.stderr.contains("run \(run.id) of job slow started in the daemon (pid \(daemon.process.processIdentifier))"), "\(first.stderr)")
        #expect(await waiting.waitForExit(timeout: 20) == 0, "waiting: \(waiting.stderr)")
        #expect(waiting.stdout.contains("(run \(run.id))"))

        let runs = try setup.runs("slow")
        #expect(runs.filter { $0.status != .skipped }.map(\.status) == [.succeeded], "\(runs.map(\.status))")
        #expect(runs.first { $0.status == .succeeded }?.trigger == .runNow)
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0)
    }

    /// A daemon started while a daemon-less run-now is uploading waits for the lock: the run-now's
    /// run is left alone and succeeds (not interrupted, not aborted); a second daemon-less run-now
    /// meanwhile is refused naming the first's pid; the daemon then starts normally.
    @Test func daemonStartedDuringRunNowLeavesItAlone() async throws {
        let setup = try await OwnershipSetup(label: "own-start")
        defer { setup.remove() }
        // The dump's output comes at once, then the tool holds the run open for 90 s: time for the
        // checks below to run while it uploads, even on a machine busy with the rest of the suite.
        try setup.writeConfig(jobs: [OwnershipSetup.job("slow", bytes: 12 << 20, seconds: 90)])
        let runNow = try setup.backupd(["run-now", "slow"])
        defer { runNow.kill() }
        var uploading: RunRecord?
        _ = try await poll(timeout: 60) {
            uploading = try setup.runs("slow").first { $0.status == .running && $0.uploadID != nil }
            return uploading != nil
        }
        let run = try #require(uploading, "run-now did not start uploading: \(runNow.stderr)")

        let other = try setup.backupd(["run-now", "slow"])
        defer { other.kill() }
        #expect(await other.waitForExit(timeout: 20) == 1)
        #expect(other.stderr.contains("locked by backupd run-now (pid \(runNow.process.processIdentifier))"), "other: \(other.stderr)")

        try #require(runNow.process.isRunning, "the run-now ended before the daemon started: \(runNow.stderr)")
        let daemon = try setup.daemon()
        defer { daemon.cleanUp() }
        #expect(await daemon.waitForLog("waiting for the state lock", timeout: 20), "log:\n\(daemon.log)")
        #expect(await runNow.waitForExit(timeout: 180) == 0, "run-now: \(runNow.stderr)\nlog:\n\(daemon.log)")
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")
        try await Task.sleep(for: .seconds(1))
        let record = try #require(try setup.history().run(id: run.id))
        #expect(record.status == .succeeded, "status \(record.status): \(record.error ?? "")")
        #expect(try setup.runs("slow").count == 1)
        #expect(!daemon.log.contains("interrupted"), "log:\n\(daemon.log)")
        #expect(try setup.openUploads().isEmpty)
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0)
    }

    /// A destination that accepts connections and never answers (with a crashed run on it to
    /// recover) delays neither READY=1 nor another job on a seconds schedule, nor the stop.
    @Test func stalledDestinationDelaysNothing() async throws {
        let setup = try await OwnershipSetup(label: "own-stall")
        defer { setup.remove() }
        let silent = try SilentListener()
        defer { silent.close() }
        let stalled = """
            {"name": "stalled", "endpoint": "http://127.0.0.1:\(silent.port)", "region": "us-east-1", "bucket": "never",
             "accessKeyId": "AK", "secretAccessKey": {"env": "OWN_SECRET_KEY"}}
            """
        try setup.writeConfig(
            jobs: [
                OwnershipSetup.job("hung", bytes: 10, seconds: 0, destination: "stalled"),
                OwnershipSetup.job("quick", bytes: 1000, seconds: 0, schedule: "*/3 * * * * *"),
            ],
            extraDestinations: [stalled])
        let history = try setup.history()
        let crashed = try history.insertRunning(
            job: "hung", trigger: .schedule, scheduledAt: Date(), startedAt: Date(), destination: "stalled", bucket: "never",
            owner: ProcessOwner(pid: 999_999, startTime: 1, bootID: ProcessOwner.currentBootID()))
        try history.updateProgress(runID: crashed, RunProgress(uploadID: "u-1", objectKey: "own/hung/x.bin"))

        let started = Date()
        let daemon = try setup.daemon()
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")
        // The stalled clean-up would take a minute or more (curl's 60 s low-speed limit, the 120 s
        // clean-up timeout); a loaded machine takes a few seconds to start a debug build.
        let ready = daemon.notify.arrival(of: "READY=1").map { $0.timeIntervalSince(started) }
        #expect(ready.map { $0 < 20 } == true, "READY=1 took \(ready.map { "\($0)" } ?? "forever") s")
        #expect(try history.run(id: crashed)?.status == .running)
        var succeeded = 0
        _ = try await poll(timeout: 25) {
            succeeded = try setup.runs("quick").filter { $0.status == .succeeded }.count
            return succeeded >= 2
        }
        #expect(succeeded >= 2, "quick job: \(succeeded) successes; log:\n\(daemon.log)")
        #expect(silent.connections > 0, "the clean-up never reached the stalled destination")
        #expect(try history.run(id: crashed)?.status == .running, "the stalled destination's clean-up cannot have finished")
        let stopping = Date()
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 40) == 0, "log:\n\(daemon.log)")
        // The stalled clean-up would hold a stop for its 120 s timeout (the destination never
        // answers); 25 s leaves room for a machine loaded by the rest of the suite.
        let stop = daemon.exitedAt.map { $0.timeIntervalSince(stopping) }
        #expect(stop.map { $0 < 25 } == true, "the stop took \(stop.map { "\($0)" } ?? "forever") s")
    }
}
