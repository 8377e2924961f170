import Dispatch
import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// `backupd` did not finish in time (it blocked, e.g. on a FIFO); it was killed.
struct BackupdTimedOut: Error, CustomStringConvertible {
    let arguments: [String]
    let seconds: Double
    var description: String { "backupd \(arguments.joined(separator: " ")) did not finish within \(seconds) s and was killed" }
}

/// Runs the built `backupd` like `runBackupd`, but kills it and throws `BackupdTimedOut` when it
/// runs longer than `timeout` seconds, so a hang fails the test instead of stalling the suite.
func runBackupd(_ arguments: [String], environment: [String: String], timeout: Double) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = try PosixProcessLauncher().launch(ProcessSpec(argv: [try backupdBinary()] + arguments, environment: environment))
    let timedOut = TimeoutFlag()
    let killer = DispatchWorkItem {
        timedOut.set()
        process.kill()
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    var stdout: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try process.readOutput(into: $0) }
        if n == 0 { break }
        stdout.append(contentsOf: buffer[..<n])
    }
    let exit = process.wait()
    killer.cancel()
    if timedOut.isSet { throw BackupdTimedOut(arguments: arguments, seconds: timeout) }
    return (exit.statusCode, String(decoding: stdout, as: UTF8.self), process.stderrTail())
}

/// Set once by the timer that killed a process.
private final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
