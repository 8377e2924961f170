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
        return try await BlockingBridge.shared.run {
            let contents: [UInt8]
            do {
                try RegularFileReader.check(path, limit: ControlServer.walSizeLimit)
                contents = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch let error as FileReadError {
                throw WALError.unreadable(path: path, detail: error.reason)
            } catch {
                throw WALError.unreadable(path: path, detail: "\(error)")
            }
            guard let client = try ControlClient.connect(stateDirectory: stateDirectory) else {
                throw WALError.refused(
                    job: job, name: fileName,
                    detail: "no backupd daemon answers on \(ControlServer.path(stateDirectory: stateDirectory)); PostgreSQL keeps the file and tries again (start backupd: systemctl start backupd)")
            }
            let header = WALPushHeader(name: fileName, size: contents.count, waiting: waitingCount(besides: fileName, in: path))
            try client.send(ControlRequest(walPush: job, header: header), body: contents)
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

    /// The WAL files PostgreSQL has marked ready to archive (`.ready` in `archive_status` beside
    /// the file, which is `pg_wal/archive_status` for `%p`), the pushed one left out; nil when the
    /// file does not lie in a server's `pg_wal` (a push by hand of a copy elsewhere).
    static func waitingCount(besides name: String, in path: String) -> Int? {
        let status = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("archive_status")
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: status) else { return nil }
        return entries.filter { $0.hasSuffix(".ready") && $0 != name + ".ready" }.count
    }
}
