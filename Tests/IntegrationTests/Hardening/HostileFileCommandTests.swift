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

/// The real binary on a config or secret that is a FIFO, /dev/zero, a link to it, or huge: a
/// prompt non-zero exit naming the path and what it is, never a hang or a memory blow-up.
@Suite("Hostile config and secret files", .ownThreads)
struct HostileFileCommandTests {
    /// A scratch directory with a minimal valid config whose secret access key is `secret`.
    struct Scratch {
        let path: String

        init() throws {
            path = FileManager.default.temporaryDirectory.path + "/backupd-hostile-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        /// Writes a config (mode 0600) whose destination's secret key is `secret` and returns its path.
        func config(secret: Any = "literal-Secret-1") throws -> String {
            let root: [String: Any] = [
                "stateDirectory": path + "/state",
                "destinations": [["name": "d", "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "hostile",
                                  "accessKeyId": "AKID", "secretAccessKey": secret]],
                "jobs": [["name": "j", "engine": "command", "schedule": "0 3 * * *", "destination": "d",
                          "connection": ["argv": ["echo", "x"]]]],
            ]
            let file = path + "/config.json"
            try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: file))
            chmod(file, 0o600)
            return file
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    static let environment = ["PATH": "/usr/bin:/bin"]

    /// `validate --config FIFO` exits 1 at once with `is a FIFO, not a regular file`.
    @Test func configFIFO() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let fifo = scratch.path + "/fifo.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let started = Date()
        let result = try runBackupd(["validate", "--config", fifo], environment: Self.environment, timeout: 20)
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(fifo): error: the config file \(fifo) is a FIFO, not a regular file"), "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    /// /dev/zero and a link to it are refused as a character device, for validate and for run.
    @Test(arguments: ["validate", "run", "history", "status"])
    func configDevice(command: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let link = scratch.path + "/zero.json"
        #expect(symlink("/dev/zero", link) == 0)
        let direct = try runBackupd([command, "--config", "/dev/zero"], environment: Self.environment, timeout: 20)
        #expect(direct.status != 0)
        #expect(direct.stderr.contains("the config file /dev/zero is a character device, not a regular file"), "\(direct.stderr)")
        let linked = try runBackupd([command, "--config", link], environment: Self.environment, timeout: 20)
        #expect(linked.status != 0)
        #expect(linked.stderr.contains("the config file \(link) is a character device (/dev/zero), not a regular file"), "\(linked.stderr)")
    }

    /// A sparse 4 GiB config is refused as larger than 16 MiB without being read.
    @Test func hugeConfig() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let huge = scratch.path + "/huge.json"
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 4 << 30) == 0)
        let result = try runBackupd(["validate", "--config", huge], environment: Self.environment, timeout: 20)
        #expect(result.status == 1)
        #expect(result.stderr.contains("the config file \(huge) is larger than 16 MiB"), "\(result.stderr)")
    }

    /// A `{"file": FIFO}` secret: validate and run-now exit 1 at once naming the secret's JSON path and the FIFO.
    @Test(arguments: [["validate"], ["run-now", "j"]])
    func secretFIFO(command: [String]) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let fifo = scratch.path + "/secret"
        #expect(mkfifo(fifo, 0o600) == 0)
        let config = try scratch.config(secret: ["file": fifo])
        let result = try runBackupd(command + ["--config", config], environment: Self.environment, timeout: 20)
        #expect(result.status == 1)
        #expect(result.stderr.contains("destinations[\"d\"].secretAccessKey.file: secret file \(fifo) is a FIFO, not a regular file"), "\(result.stderr)")
    }

    /// A secret file linked to /dev/zero or over 64 KiB is refused naming it.
    @Test func secretDeviceAndHugeSecret() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let link = scratch.path + "/zero-secret"
        #expect(symlink("/dev/zero", link) == 0)
        let zero = try runBackupd(["validate", "--config", try scratch.config(secret: ["file": link])], environment: Self.environment, timeout: 20)
        #expect(zero.status == 1)
        #expect(zero.stderr.contains("secret file \(link) is a character device (/dev/zero), not a regular file"), "\(zero.stderr)")
        let big = scratch.path + "/big-secret"
        #expect(FileManager.default.createFile(atPath: big, contents: Data(repeating: 0x41, count: 1 << 20)))
        chmod(big, 0o600)
        let huge = try runBackupd(["validate", "--config", try scratch.config(secret: ["file": big])], environment: Self.environment, timeout: 20)
        #expect(huge.status == 1)
        #expect(huge.stderr.contains("secret file \(big) is larger than 64 KiB"), "\(huge.stderr)")
    }

    /// SIGHUP with the config replaced by a link to /dev/zero: the reload fails naming it, the
    /// daemon keeps running on the previous config, and a later good reload applies.
    @Test func reloadOfHostileConfigKeepsTheDaemon() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try scratch.config()
        let good = try Data(contentsOf: URL(fileURLWithPath: config))
        let daemon = try DaemonProcess(configPath: config, directory: scratch.path)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 30), "\(daemon.log)")
        try FileManager.default.removeItem(atPath: config)
        #expect(symlink("/dev/zero", config) == 0)
        daemon.send(SIGHUP)
        #expect(await daemon.waitForLog("config reload failed", timeout: 20), "\(daemon.log)")
        #expect(daemon.log.contains("is a character device (/dev/zero), not a regular file"), "\(daemon.log)")
        #expect(daemon.process.isRunning)
        try FileManager.default.removeItem(atPath: config)
        try good.write(to: URL(fileURLWithPath: config))
        daemon.send(SIGHUP)
        #expect(await daemon.waitForLog("config reloaded", timeout: 20), "\(daemon.log)")
        #expect(daemon.process.isRunning)
    }
}
