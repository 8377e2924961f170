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

/// A temporary state directory, bucket, compiled clock shim and offset file for one daemon.
private struct ClockStepSetup {
    let s3: TestS3
    let bucket: String
    let directory: String
    let shim: String
    var offsetFile: String { directory + "/clock-offset" }

    init(label: String) async throws {
        s3 = try TestS3.environment()
        bucket = try await s3.makeBucket(label).settings.bucket
        directory = FileManager.default.temporaryDirectory.path + "/backupd-clock-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        shim = try buildClockShim(into: directory)
        try "0".write(toFile: directory + "/clock-offset", atomically: true, encoding: .utf8)
    }

    /// A command job writing a line, without compression, catching up once.
    static func job(_ name: String, schedule: String) -> String {
        """
        {"name": "\(name)", "engine": "command", "schedule": "\(schedule)", "destination": "local",
         "prefix": "clock/\(name)", "catchUp": "once", "compression": "none",
         "connection": {"argv": ["/bin/sh", "-c", "echo a backup made by the clock-step test"], "extension": ".bin"}}
        """
    }

    /// Writes the config and starts `backupd run` under the clock shim; READY=1 is awaited by the caller.
    func start(jobs: [String]) throws -> DaemonProcess {
        let configPath = directory + "/config.json"
        try """
            {
              "stateDirectory": "\(directory)/state",
              "destinations": [{
                "name": "local", "endpoint": "\(s3.endpoint.absoluteString)", "region": "\(s3.region)",
                "bucket": "\(bucket)", "accessKeyId": {"env": "CLOCK_ACCESS_KEY"}, "secretAccessKey": {"env": "CLOCK_SECRET_KEY"}
              }],
              "jobs": [\(jobs.joined(separator: ",\n"))]
            }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
        return try DaemonProcess(configPath: configPath, directory: directory, environment: [
            "CLOCK_ACCESS_KEY": s3.accessKey, "CLOCK_SECRET_KEY": s3.secretKey,
            "LD_PRELOAD": shim, "BACKUPD_CLOCK_SHIM_FILE": offsetFile,
        ])
    }

    /// Sets the daemon's clock to the true time plus `seconds`.
    func setOffset(_ seconds: Int) throws {
        try String(seconds).write(toFile: offsetFile, atomically: true, encoding: .utf8)
    }

    /// The job's runs in the daemon's history, newest first.
    func runs(_ job: String) throws -> [RunRecord] {
        try HistoryStore(stateDirectory: directory + "/state").runs(HistoryQuery(job: job))
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// The real `backupd run` with its wall clock stepped by an LD_PRELOAD shim of the tests' own
/// (scripts/clock-shim.c: CLOCK_REALTIME plus an offset read from a file the test rewrites;
/// timerfds see the step as they would see `date -s`; CLOCK_BOOTTIME is left alone). The job
/// runs every 10 seconds (`*/10 * * * * *`, a wildcard schedule); each test takes under a minute.
@Suite("Daemon clock steps", .timeLimit(.minutes(4)), .ownThreads)
struct ClockStepDaemonTests {
    /// Stepped back 1h, the every-10-seconds job runs again within one interval of the new time
    /// (S3 refuses the skewed signatures, so those runs truly fail); stepped forward 1h again,
    /// the first slot jumped over runs as a catch-up and each of the other ~359 gets one skipped
    /// row naming the step; each step is logged once with its size, and runs go on succeeding.
    @Test func stepsBackAndForward() async throws {
        let setup = try await ClockStepSetup(label: "clockstep")
        defer { setup.remove() }
        let daemon = try setup.start(jobs: [ClockStepSetup.job("tick", schedule: "*/10 * * * * *")])
        defer { daemon.cleanUp() }
        let history = { try setup.runs("tick") }

        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")
        var first: RunRecord?
        _ = try await poll(timeout: 25) {
            first = try history().first { $0.status == .succeeded && $0.trigger == .schedule }
            return first != nil
        }
        let before = try #require(first?.scheduledAt, "no scheduled run succeeded within 25 s; log:\n\(daemon.log)")

        // Back 1h: the next run is for a slot of the new time, within one 10 s interval (plus the
        // run and a loaded machine), where a scheduler keeping every slot to one run waits the hour.
        try setup.setOffset(-3600)
        let steppedBack = Date()
        var resumed: RunRecord?
        _ = try await poll(timeout: 20) {
            resumed = try history().first { ($0.scheduledAt ?? .distantFuture) < before - 1800 && $0.status != .running }
            return resumed != nil
        }
        let afterBack = try #require(resumed, "no run within 20 s of the step back; log:\n\(daemon.log)")
        let resumeDelay = Date().timeIntervalSince(steppedBack)
        print("clock steps: a run \(afterBack.status) \(String(format: "%.1f", resumeDelay)) s after the step back: \(afterBack.error ?? "")")
        #expect(afterBack.trigger == .schedule && afterBack.status != .skipped, "\(afterBack)")
        #expect(afterBack.status == .succeeded || afterBack.error?.contains("RequestTimeTooSkewed") == true
            || afterBack.error?.lowercased().contains("skew") == true, "\(afterBack.status): \(afterBack.error ?? "")")
        #expect(try history().allSatisfy { $0.status != .skipped }, "a step back skipped a slot")

        // Forward 1h to the true time: one catch-up run, one skipped row per other slot jumped over.
        try setup.setOffset(0)
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

    /// Stepped back 20 s just after both ran, a fixed-time job (`S M H * * *`, one slot a day) does
    /// not run its slot again when the clock passes it a second time, while the wildcard
    /// `*/5 * * * * *` job does run its repeated slots (Debian cron's rules); the step is logged once.
    @Test func fixedTimeSlotRunsOnceAcrossAStepBack() async throws {
        let setup = try await ClockStepSetup(label: "clockfixed")
        defer { setup.remove() }
        // Far enough ahead for a loaded machine to start the daemon first (a job with no history
        // waits for its next slot, here tomorrow's).
        let slot = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 25).rounded(.up))
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: slot)
        let fixed = "\(parts.second!) \(parts.minute!) \(parts.hour!) * * *"
        let daemon = try setup.start(jobs: [ClockStepSetup.job("fixed", schedule: fixed), ClockStepSetup.job("wild", schedule: "*/5 * * * * *")])
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")
        var ran: RunRecord?
        _ = try await poll(timeout: 40) {
            ran = try setup.runs("fixed").first { $0.status == .succeeded }
            return ran != nil
        }
        #expect(ran?.scheduledAt == slot, "no run of \(fixed) at \(slot); log:\n\(daemon.log)")

        try setup.setOffset(-20)
        // Wait until the daemon's clock has passed the fixed slot a second time, by 5 s.
        try await Task.sleep(for: .seconds(slot.timeIntervalSinceNow + 25))
        let fixedRuns = try setup.runs("fixed")
        #expect(fixedRuns.count == 1, "the fixed-time slot ran again: \(fixedRuns.map { ($0.scheduledAt, $0.status) })")
        let wild = try setup.runs("wild").filter { $0.status == .succeeded }.compactMap(\.scheduledAt)
        #expect(Set(wild).count < wild.count, "the wildcard job ran none of its repeated slots: \(wild)")
        let lines = daemon.log.split(separator: "\n").filter { $0.contains("system clock stepped") }
        #expect(lines.count == 1 && lines[0].contains("clock.step=-20s"), "\(lines)")
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 20) == 0)
    }
}
