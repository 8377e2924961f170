import Foundation
import Glibc

/// Who owns a run: a process id plus what makes it unique over time (its start time in clock
/// ticks since boot, from /proc/PID/stat, and the boot id), so a reused pid is not taken for the
/// process that started the run.
public struct ProcessOwner: Sendable, Hashable {
    /// The process id.
    public var pid: Int32
    /// Field 22 of /proc/PID/stat (clock ticks after boot); nil when /proc could not be read.
    public var startTime: Int64?
    /// /proc/sys/kernel/random/boot_id when it could be read.
    public var bootID: String?

    /// Creates an owner description.
    public init(pid: Int32, startTime: Int64?, bootID: String?) {
        self.pid = pid
        self.startTime = startTime
        self.bootID = bootID
    }

    /// This process.
    public static func current() -> ProcessOwner {
        let pid = getpid()
        return ProcessOwner(pid: pid, startTime: startTime(of: pid), bootID: currentBootID())
    }

    /// Whether the process that owned the run is still running: same boot, same pid, same start
    /// time. A process /proc hides from us (another user under ProtectProc) but that `kill(pid, 0)`
    /// finds counts as alive, so a live run is never taken for an orphan.
    public var isAlive: Bool {
        if let bootID, let now = Self.currentBootID(), bootID != now { return false }
        if let recorded = startTime, let actual = Self.startTime(of: pid) { return recorded == actual }
        if Glibc.kill(pid, 0) == 0 { return true }
        return errno == EPERM
    }

    /// The start time of `pid` in clock ticks after boot, or nil when it does not exist or cannot be read.
    static func startTime(of pid: Int32) -> Int64? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let text = String(data: data, encoding: .utf8),
              let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)" come the fields from 3 (state) on; start time is field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? Int64(fields[19]) : nil
    }

    static func currentBootID() -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/sys/kernel/random/boot_id") else { return nil }
        let id = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }
}
