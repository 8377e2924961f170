import Foundation
import Glibc
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A temporary state directory and bucket for the stop tests, with the destination reached
/// through a `FaultProxy` (so a test can stall S3 mid-transfer) and secrets passed by environment.
struct StopFixture {
    let s3: TestS3
    let proxy: FaultProxy
    let bucket: String
    let directory: String
    let configPath: String
    let prefix = "stop/app"

    init(label: String) async throws {
        s3 = try TestS3.environment()
        bucket = try await s3.makeBucket(label).settings.bucket
        proxy = try FaultProxy(upstreamPort: s3.endpoint.port ?? 80)
        directory = FileManager.default.temporaryDirectory.path + "/backupd-stop-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configPath = directory + "/config.json"
    }

    /// Writes the config: job `app` (JSON object `job`, given name, destination and prefix here),
    /// a grace period, and a top-level `verify` when given.
    func writeConfig(job: [String: Any], grace: String = "2s", verify: [String: Any]? = nil) throws {
        var job = job
        job["name"] = "app"
        job["destination"] = "proxied"
        job["prefix"] = prefix
        job["catchUp"] = "none"
        var root: [String: Any] = [
            "stateDirectory": directory + "/state", "shutdownGracePeriod": grace,
            "destinations": [[
                "name": "proxied", "endpoint": "http://127.0.0.1:\(proxy.port)", "region": s3.region, "bucket": bucket,
                "accessKeyId": s3.accessKey, "secretAccessKey": ["env": "STOP_S3_SECRET"], "pathStyle": true,
            ]],
            "jobs": [job],
        ]
        if let verify { root["verify"] = verify }
        try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
    }

    /// A command job whose tool writes `megabytes` MiB of random bytes, on a schedule.
    static func commandJob(megabytes: Int, schedule: String) -> [String: Any] {
        ["engine": "command", "schedule": schedule, "compression": "none",
         "connection": ["argv": ["/bin/sh", "-c", "head -c \(megabytes << 20) /dev/urandom"], "extension": ".bin"]]
    }

    /// A schedule that does not fire during a test (once a year, at New Year).
    static let never = "0 0 1 1 *"

    /// A schedule (with cron's leading seconds field) that fires once, `seconds` from now.
    static func once(after seconds: TimeInterval) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let at = calendar.dateComponents([.second, .minute, .hour, .day, .month], from: Date().addingTimeInterval(seconds))
        return "\(at.second!) \(at.minute!) \(at.hour!) \(at.day!) \(at.month!) *"
    }

    var environment: [String: String] {
        var environment = Pipeline.defaultEnvironment
        environment["STOP_S3_SECRET"] = s3.secretKey
        return environment
    }

    func history() throws -> HistoryStore { try HistoryStore(stateDirectory: directory + "/state", readOnly: true) }

    func backupd(_ arguments: [String], environment extra: [String: String] = [:], timeout: Double = 120) throws -> (status: Int32, stdout: String, stderr: String) {
        try runBackupd(arguments + ["--config", configPath], environment: environment.merging(extra) { $1 }, timeout: timeout)
    }

    /// The open multipart uploads of the bucket (through the AWS CLI, not the proxy).
    func openUploadIDs() throws -> [String] { try s3.openUploadIDs(bucket: bucket) }

    func remove() {
        proxy.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A `backupd` command started as a child (its own process group) to be signalled mid-work.
struct SignalledCommand {
    let process: any RunningProcess

    init(_ arguments: [String], environment: [String: String]) throws {
        process = try PosixProcessLauncher().launch(ProcessSpec(argv: [try backupdBinary()] + arguments, environment: environment))
    }

    /// Sends `signal`, then reads to the end and waits; kills the process after `limit` seconds.
    /// Returns the exit and how long it took after the signal.
    func stop(with signal: Int32, limit: TimeInterval) throws -> (exit: ProcessExit, seconds: TimeInterval, stdout: String) {
        let signalled = Date()
        kill(process.pid, signal)
        let process = self.process
        let killer = DispatchWorkItem { process.kill() }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: killer)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
            if n == 0 { break }
            output.append(contentsOf: buffer[..<n])
        }
        let exit = process.wait()
        killer.cancel()
        return (exit, Date().timeIntervalSince(signalled), String(decoding: output, as: UTF8.self))
    }
}

/// Whether a process with `pid` still exists (a zombie of another parent counts as gone soon).
func processAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return !status.contains(") Z ")
}
