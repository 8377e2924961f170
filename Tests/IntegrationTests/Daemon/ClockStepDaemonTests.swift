import Foundation
import Glibc
import Testing
@testable import BackupKit

/// scripts/clock-shim.c compiled into `directory` with the first C compiler found (cc, then the
/// Swift toolchain's clang).
private func buildClockShim(into directory: String) throws -> String {
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../scripts/clock-shim.c")
        .standardized.path
    let output = directory + "/clock-shim.so"
    var problems: [String] = []
    for compiler in ["cc", "clang"] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [compiler, "-shared", "-fPIC", "-O2", "-o", output, source, "-lpthread", "-ldl"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 0 { return output }
        problems.append("\(compiler): exit \(process.terminationStatus) \(message)")
    }
    throw TestSetupError("cannot compile \(source) (install gcc: scripts/install-deps.sh): \(problems.joined(separator: "; "))")
}

/// The real `backupd run` with its wall clock stepped by an LD_PRELOAD shim of the tests' own
/// (scripts/clock-shim.c: CLOCK_REALTIME plus an offset read from a file the test rewrites;
/// timerfds see the step as they would see `date -s`; CLOCK_BOOTTIME is left alone). The job
/// runs every 10 seconds (`*/10 * * * * *`, a wildcard schedule), so the test takes about 40 s.
@Suite("Daemon clock steps", .timeLimit(.minutes(2)))
struct ClockStepDaemonTests {
    /// Stepped back 1h, the every-10-seconds job runs again within one interval of the new time
    /// (S3 refuses the skewed signatures, so those runs truly fail); stepped forward 1h again,
    /// the first slot jumped over runs as a catch-up and each of the other ~359 gets one skipped
    /// row naming the step; each step is logged once with its size, and runs go on succeeding.
    @Test func stepsBackAndForward() async throws {
        let s3 = try TestS3.environment()
        let bucket = try s3.makeBucket("clockstep").settings.bucket
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-clock-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shim = try buildClockShim(into: directory)
        let offsetFile = directory + "/clock-offset"
        try "0".write(toFile: offsetFile, atomically: true, encoding: .utf8)
        let configPath = directory + "/config.json"
        try """
            {
              "stateDirectory": "\(directory)/state",
              "destinations": [{
                "name": "local", "endpoint": "\(s3.endpoint.absoluteString)", "region": "\(s3.region)",
                "bucket": "\(bucket)", "accessKeyId": {"env": "CLOCK_ACCESS_KEY"}, "secretAccessKey": {"env": "CLOCK_SECRET_KEY"}
              }],
              "jobs": [{"name": "tick", "engine": "command", "schedule": "*/10 * * * * *", "destination": "local",
                        "prefix": "clock/tick", "catchUp": "once", "compression": "none",
                        "connection": {"argv": ["/bin/sh", "-c", "echo a backup made by the clock-step test"], "extension": ".bin"}}]
            }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
        let daemon = try DaemonProcess(configPath: configPath, directory: directory, environment: [
            "CLOCK_ACCESS_KEY": s3.accessKey, "CLOCK_SECRET_KEY": s3.secretKey,
            "LD_PRELOAD": shim, "BACKUPD_CLOCK_SHIM_FILE": offsetFile,
        ])
        defer { daemon.cleanUp() }
        let history = { try HistoryStore(stateDirectory: directory + "/state").runs(HistoryQuery(job: "tick")) }

        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")
        var first: RunRecord?
        _ = try await poll(timeout: 25) {
            first = try history().first { $0.status == .succeeded && $0.trigger == .schedule }
            return first != nil
        }
        let before = try #require(first?.scheduledAt, "no scheduled run succeeded within 25 s; log:\n\(daemon.log)")

        // Back 1h: the next run is for a slot of the new time, within about one 10 s interval.
        try "-3600".write(toFile: offsetFile, atomically: true, encoding: .utf8)
        let steppedBack = Date()
        var resumed: RunRecord?
        _ = try await poll(timeout: 20) {
            resumed = try history().first { ($0.scheduledAt ?? .distantFuture) < before - 1800 && $0.status != .running }
            return resumed != nil
        }
        let afterBack = try #require(resumed, "no run within 20 s of the step back; log:\n\(daemon.log)")
        let resumeDelay = Date().timeIntervalSince(steppedBack)
        print("clock steps: a run \(afterBack.status) \(String(format: "%.1f", resumeDelay)) s after the step back: \(afterBack.error ?? "")")
        #expect(resumeDelay < 18, "one 10 s interval plus the run and a loaded machine")
        #expect(afterBack.trigger == .schedule && afterBack.status != .skipped, "\(afterBack)")
        #expect(afterBack.status == .succeeded || afterBack.error?.contains("RequestTimeTooSkewed") == true
            || afterBack.error?.lowercased().contains("skew") == true, "\(afterBack.status): \(afterBack.error ?? "")")
        #expect(try history().allSatisfy { $0.status != .skipped }, "a step back skipped a slot")

        // Forward 1h to the true time: one catch-up run, one skipped row per other slot jumped over.
        try "0".write(toFile: offsetFile, atomically: true, encoding: .utf8)
        let steppedForward = Date()
        var skipped: [RunRecord] = []
        _ = try await poll(timeout: 15) {
            skipped = try history().filter { $0.status == .skipped }
            return skipped.count >= 355
        }
        #expect((355...360).contains(skipped.count), "\(skipped.count) skipped rows; log:\n\(daemon.log.suffix(3000))")
        #expect(skipped.allSatisfy { $0.error?.hasPrefix("skipped: clock stepped forward 1h: slot ") == true && $0.error?.hasSuffix(" was jumped over") == true },
                "\(skipped.first?.error ?? "")")
        let slots = skipped.compactMap(\.scheduledAt)
        #expect(Set(slots).count == skipped.count && slots.allSatisfy { Int($0.timeIntervalSince1970) % 10 == 0 })
        let catchUps = try history().filter { $0.trigger == .catchUp }
        #expect(catchUps.count == 1, "\(catchUps.map { ($0.scheduledAt, $0.status) })")
        if let catchUp = catchUps.first, let slot = catchUp.scheduledAt {
            #expect(slots.allSatisfy { $0 > slot }, "the catch-up run is for the first slot jumped over")
        }
        var later: RunRecord?
        _ = try await poll(timeout: 20) {
            later = try history().first { $0.trigger == .schedule && $0.status == .succeeded && ($0.scheduledAt ?? .distantPast) > steppedForward }
            return later != nil
        }
        #expect(later != nil, "no scheduled run succeeded after the step forward; log:\n\(daemon.log.suffix(3000))")

        // Each step logged once, at notice, with its size.
        let lines = daemon.log.split(separator: "\n").filter { $0.contains("system clock stepped") }
        print("clock steps: \(skipped.count) skipped rows; logged:\n\(lines.joined(separator: "\n"))")
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.contains("system clock stepped back") == true && lines.first?.contains("clock.step=-1h") == true, "\(lines)")
        #expect(lines.last?.contains("system clock stepped forward") == true && lines.last?.contains("clock.step=+1h") == true, "\(lines)")
        #expect(lines.allSatisfy { $0.hasPrefix("<5>") }, "not at notice priority: \(lines)")

        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 20) == 0, "log:\n\(daemon.log.suffix(2000))")
    }
}
