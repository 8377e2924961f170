import Foundation
import Testing
import TestThreads

/// The repository's systemd unit, read from the source tree.
private let unitPath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("systemd/backupd.service").path

/// `systemd-analyze` on PATH, if installed.
private let systemdAnalyze: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    .split(separator: ":").map { "\($0)/systemd-analyze" }
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// systemd's major version (`systemd 252 (...)`), 0 when unknown.
private let systemdVersion: Int = {
    guard let systemdAnalyze, let output = try? run(systemdAnalyze, ["--version"]).stdout else { return 0 }
    return Int(output.split(separator: " ").dropFirst().first ?? "") ?? 0
}()

private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// The unit's `Key=value` lines (repeated keys keep every value).
private func directives() throws -> [String: [String]] {
    var result: [String: [String]] = [:]
    for line in try String(contentsOfFile: unitPath, encoding: .utf8).split(separator: "\n") {
        guard !line.hasPrefix("#"), !line.hasPrefix("["), let equals = line.firstIndex(of: "=") else { continue }
        result[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
    }
    return result
}

/// A copy of the unit whose ExecStart names an executable that exists here, since verify checks
/// that the binary exists and /usr/local/bin/backupd is only there once installed.
private func verifiableCopy(in directory: String) throws -> String {
    let text = try String(contentsOfFile: unitPath, encoding: .utf8)
        .replacingOccurrences(of: "ExecStart=/usr/local/bin/backupd", with: "ExecStart=/bin/true")
    let path = directory + "/backupd.service"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("systemd unit", .ownThreads)
struct SystemdUnitTests {
    /// The unit declares what the daemon relies on: notify readiness, reload by SIGHUP, watchdog,
    /// its own user and state directory, a stop timeout above the 5-minute grace, and hardening.
    @Test func requiredDirectives() throws {
        let unit = try directives()
        let expected: [String: String] = [
            "Type": "notify", "NotifyAccess": "main",
            "ExecStart": "/usr/local/bin/backupd run --config /etc/backupd/config.json",
            "ExecReload": "/bin/kill -HUP $MAINPID", "User": "backupd", "Group": "backupd",
            "StateDirectory": "backupd", "KillMode": "mixed", "ProtectSystem": "strict", "ProtectHome": "yes",
            "PrivateTmp": "yes", "NoNewPrivileges": "yes", "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
            "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
            "ProtectControlGroups": "yes", "RestrictNamespaces": "yes", "LockPersonality": "yes",
            "MemoryDenyWriteExecute": "yes", "CapabilityBoundingSet": "",
        ]
        for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(unit[key] == [value], "\(key)")
        }
        #expect(unit["SystemCallFilter"]?.first == "@system-service")
        #expect(unit["WatchdogSec"]?.first.flatMap { Int($0.dropLast()) }.map { $0 >= 10 } == true)
        let stop = try #require(unit["TimeoutStopSec"]?.first)
        #expect(stop.hasSuffix("min") && (Int(stop.dropLast(3)) ?? 0) > 5, "TimeoutStopSec=\(stop)")
    }

    /// `systemd-analyze verify` accepts the unit without a single warning.
    @Test(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed: the unit is NOT verified"))
    func systemdAnalyzeVerify() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let result = try run(systemdAnalyze!, ["verify", try verifiableCopy(in: tmp.path)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty && result.stdout.isEmpty, "\(result.stdout)\(result.stderr)")
    }

    /// `systemd-analyze security --offline` rates the unit's exposure below 2.0 ("OK").
    @Test(.enabled(if: systemdVersion >= 252, "systemd-analyze security --offline needs systemd 252 or later"))
    func systemdAnalyzeSecurity() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let result = try run(systemdAnalyze!, ["security", "--offline=yes", try verifiableCopy(in: tmp.path)])
        let marker = "Overall exposure level for backupd.service: "
        let line = try #require(result.stdout.split(separator: "\n").first { $0.contains(marker) }, "\(result.stderr)")
        let level = Double(line.split(separator: ": ").last?.split(separator: " ").first ?? "")
        #expect(level.map { $0 < 2.0 } == true, "\(line)")
    }
}
