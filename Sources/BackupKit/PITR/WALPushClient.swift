import BackupCore
import Foundation
import Glibc

/// `wal-push`'s side of the control socket: reads the WAL file PostgreSQL names, sends it to the
/// running daemon and waits until the daemon says it is stored. Runs as the database server's
/// user; it never needs the S3 credentials.
public enum WALPushClient {
    /// Sends the file at `path` for `job` to the daemon of `stateDirectory`; returns the daemon's
    /// account of what it stored. Throws `WALError` (or `ControlError`) when the file is not stored.
    public static func push(job: String, path: String, stateDirectory: String) async throws -> String {
        let fileName = (path as NSString).lastPathComponent
        guard WALFileName(fileName) != nil else { throw WALError.badName(name: fileName) }
        let directory = (path as NSString).deletingLastPathComponent
        return try await BlockingBridge.shared.run {
            let contents = try read(path)
            guard let client = try ControlClient.connect(stateDirectory: stateDirectory) else {
                throw WALError.refused(
                    job: job, name: fileName,
                    detail: "no backupd daemon answers on \(ControlServer.path(stateDirectory: stateDirectory)); PostgreSQL keeps the file and tries again (start backupd: systemctl start backupd)")
            }
            let ready = readyFiles(besides: fileName, in: path)
            try client.send(ControlRequest(walPush: job, header: WALPushHeader(name: fileName, size: contents.count, waiting: ready?.count)), body: contents)
            // While the daemon stores this file, the next one waiting goes to it too, to be stored
            // before PostgreSQL asks (an optimisation only: this push's answer is the daemon's
            // answer for this file, whatever happens to the other).
            if let next = next(after: fileName, among: ready) {
                sendAhead(directory + "/" + next, name: next, job: job, stateDirectory: stateDirectory)
            }
            while true {
                let event = try client.next()
                switch event.event {
                case .result: return event.message ?? "stored"
                case .error, .refused: throw WALError.refused(job: job, name: fileName, detail: event.message ?? "the daemon refused")
                default: continue
                }
            }
        }
    }

    /// The file's bytes, or `WALError.unreadable`.
    private static func read(_ path: String) throws -> [UInt8] {
        do {
            return try RegularFileReader.read(path, limit: ControlServer.walSizeLimit)
        } catch {
            throw WALError.unreadable(path: path, detail: error.reason)
        }
    }

    /// The WAL segment PostgreSQL will most likely ask for next: the oldest segment marked ready
    /// that comes after `name` (PostgreSQL archives the oldest first); nil when there is none.
    static func next(after name: String, among ready: [String]?) -> String? {
        guard let current = WALFileName(name), current.kind == .segment else { return nil }
        return ready?.filter { $0 > name && WALFileName($0)?.kind == .segment && $0.prefix(8) == name.prefix(8) }.min()
    }

    /// Hands segment `name` (at `path`) to the daemon as `wal-ahead` without waiting for the
    /// store; any failure is dropped.
    private static func sendAhead(_ path: String, name: String, job: String, stateDirectory: String) {
        guard let contents = try? read(path), let client = try? ControlClient.connect(stateDirectory: stateDirectory) else { return }
        try? client.send(ControlRequest(walAhead: job, header: WALPushHeader(name: name, size: contents.count)), body: contents)
    }

    /// The WAL files PostgreSQL has marked ready to archive (`.ready` in `archive_status` beside
    /// the file, which is `pg_wal/archive_status` for `%p`), the pushed one left out; nil when the
    /// file does not lie in a server's `pg_wal` (a push by hand of a copy elsewhere).
    static func readyFiles(besides name: String, in path: String) -> [String]? {
        let status = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("archive_status")
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: status) else { return nil }
        return entries.filter { $0.hasSuffix(".ready") && $0 != name + ".ready" }.map { String($0.dropLast(6)) }
    }
}
