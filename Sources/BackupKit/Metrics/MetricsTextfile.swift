import BackupHistory
import ConfigKit
import Foundation
import Glibc
import Logging

/// Writes the exposition to node_exporter's textfile directory after every run: into a hidden
/// temporary file beside the target (which the collector ignores, not ending in `.prom`), fsynced,
/// then renamed over it, so a scrape never sees half a file.
public struct MetricsTextfile: RunObserver, VerificationObserver {
    /// The `.prom` file.
    public let path: String
    /// What is written.
    public let registry: MetricsRegistry
    /// Where a failed write is reported.
    public let logger: Logger

    /// A writer of `registry` to `path`.
    public init(path: String, registry: MetricsRegistry, logger: Logger) {
        self.path = path
        self.registry = registry
        self.logger = logger
    }

    public func runStarted(_ run: ObservedRun) { write() }

    public func runFinished(_ run: ObservedRun, outcome: RunOutcome, config: BackupConfig, logger: Logger) { write() }

    public func verificationFinished(_ record: VerificationRecord, job: JobConfig, logger: Logger) { write() }

    /// Writes the file now; a failure is logged as a warning (metrics never fail a backup).
    public func write() {
        do {
            try Self.writeAtomically(Array(MetricsExposition.render(registry).utf8), to: path)
        } catch {
            logger.warning("cannot write the metrics textfile", metadata: ["metrics.textfile": "\(path)", "error": "\(error)"])
        }
    }

    /// Writes `bytes` to a temporary file in `path`'s directory and renames it to `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MetricsError.write(path: temporary, reason: String(cString: strerror(errno))) }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                throw MetricsError.write(path: temporary, reason: reason)
            }
            offset += n
        }
        // 0644 whatever the umask: node_exporter usually runs as another user.
        fchmod(fd, 0o644)
        guard fsync(fd) == 0, close(fd) == 0 else { throw MetricsError.write(path: temporary, reason: String(cString: strerror(errno))) }
        guard rename(temporary, path) == 0 else { throw MetricsError.write(path: path, reason: String(cString: strerror(errno))) }
        ok = true
    }
}
