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

/// A small tmpfs mounted for one test (the suite runs as root, as CI does), filled on demand.
private struct SmallDisk {
    let path: String
    let filler: String

    init(path: String, size: String) throws {
        self.path = path
        filler = path + "/filler"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", path]
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw TestSetupError("mount -t tmpfs on \(path) failed (these tests need root)") }
    }

    /// Writes zeros until the disk is full.
    func fill() {
        let fd = open(filler, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        while write(fd, chunk, chunk.count) > 0 {}
    }

    func free() { unlink(filler) }

    func unmount() {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = ["-l", path]
        try? umount.run()
        umount.waitUntilExit()
    }
}

/// A full state disk under the real daemon: nothing vanishes silently, nothing stored is lost.
@Suite("Full state disk", .timeLimit(.minutes(3)), .ownThreads)
struct FullStateDiskTests {
    /// A run whose end cannot be recorded (the disk filled up during its upload) says so, and the
    /// next start finds its object complete and records it as succeeded (not interrupted, nothing
    /// aborted); a run asked for while the disk is full is not taken and says so at error
    /// priority, naming the job and its slot.
    @Test func fullDiskRunsAreReportedAndReconciled() async throws {
        let s3 = try TestS3.environment()
        let bucket = try await s3.makeBucket("fulldisk").settings.bucket
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-full-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let disk = try SmallDisk(path: directory + "/state", size: "2m")
        defer { disk.unmount() }
        let configPath = directory + "/config.json"
        try """
            {"stateDirectory": "\(disk.path)",
             "destinations": [{"name": "local", "endpoint": "\(s3.endpoint.absoluteString)", "region": "\(s3.region)", "bucket": "\(bucket)",
                               "accessKeyId": {"env": "FULL_AK"}, "secretAccessKey": {"env": "FULL_SK"}}],
             "jobs": [{"name": "slow", "engine": "command", "schedule": "0 0 1 1 *", "destination": "local", "prefix": "full/slow",
                       "catchUp": "none", "compression": "none",
                       "connection": {"argv": ["/bin/sh", "-c", "head -c 3000000 /dev/urandom; sleep 30"], "extension": ".bin"}}]}
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
        let environment = ["FULL_AK": s3.accessKey, "FULL_SK": s3.secretKey]
        let daemon = try DaemonProcess(configPath: configPath, directory: directory, environment: environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "log:\n\(daemon.log)")

        // The tool holds its run open 30 s after its output: time for the poll below to see the
        // upload even when a busy machine delays this test's task by many seconds.
        let runNow = try BackupdProcess(["run-now", "slow", "--config", configPath], directory: directory, environment: environment)
        defer { runNow.kill() }
        var uploading: RunRecord?
        _ = try await poll(timeout: 60) {
            uploading = try HistoryStore(stateDirectory: disk.path).runningRuns().first { $0.uploadID != nil }
            return uploading != nil
        }
        let run = try #require(uploading, "no upload started; run-now: \(runNow.stderr)\nlog:\n\(daemon.log)")
        disk.fill()
        #expect(await runNow.waitForExit(timeout: 90) == 0, "run-now: \(runNow.stderr)")
        #expect(runNow.stderr.contains("run \(run.id) of job slow ended succeeded but its end cannot be recorded"), "\(runNow.stderr)")
        #expect(daemon.log.contains("<2>"), "no critical line; log:\n\(daemon.log)")

        let refused = try BackupdProcess(["run-now", "slow", "--config", configPath], directory: directory, environment: environment)
        defer { refused.kill() }
        #expect(await refused.waitForExit(timeout: 30) == 1)
        #expect(refused.stderr.contains("the run of job slow for 20"), "\(refused.stderr)")
        #expect(refused.stderr.contains("was NOT taken"))
        let errorLine = daemon.log.split(separator: "\n").first { $0.contains("was NOT taken") }
        #expect(errorLine?.hasPrefix("<3>") == true && errorLine?.contains("job.name=slow") == true, "\(errorLine ?? "no such line"); log:\n\(daemon.log)")

        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0, "log:\n\(daemon.log)")
        disk.free()
        let second = try DaemonProcess(configPath: configPath, directory: directory, environment: environment)
        defer { second.cleanUp() }
        #expect(await second.notify.waitFor("READY=1", timeout: 20), "log:\n\(second.log)")
        _ = try await poll(timeout: 20) { try HistoryStore(stateDirectory: disk.path).run(id: run.id)?.status != .running }
        let record = try #require(try HistoryStore(stateDirectory: disk.path).run(id: run.id))
        #expect(record.status == .succeeded, "status \(record.status); log:\n\(second.log)")
        let key = try #require(record.objectKey)
        // The object's digest is the one its manifest records (read with a second client).
        let manifestKey = key.replacingOccurrences(of: #"\.[a-z.]+$"#, with: ".manifest.json", options: .regularExpression)
        let manifest = try s3.aws(["s3", "cp", "s3://\(bucket)/\(manifestKey)", "-"])
        #expect(manifest.status == 0 && manifest.output.contains((record.sha256 ?? "missing").prefix(64)), "\(manifest.output) \(manifest.error)")
        #expect(try HistoryStore(stateDirectory: disk.path).runs(HistoryQuery(job: "slow")).filter { $0.status != .skipped }.count == 1)
        second.send(SIGTERM)
        #expect(await second.waitForExit(timeout: 30) == 0)
    }
}
