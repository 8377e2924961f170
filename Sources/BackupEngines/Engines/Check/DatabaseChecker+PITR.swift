import BackupCore
import ConfigKit
import Foundation
import Glibc

/// The PITR steps of `backupd check JOB`: the server archives through this job's `wal-push`, and
/// the daemon's control socket lets the archive user in.
extension DatabaseChecker {
    /// Checks `archive_mode`, `wal_level` and `archive_command` with `psql` (after the login passed),
    /// and the control socket's file modes for the archive user.
    func checkPITR(_ pitr: PITRSettings, login: Bool, psql: (String) throws -> String, steps: inout CheckSteps) {
        steps.run("archiving settings", needs: login) {
            let fields = try psql("SELECT current_setting('archive_mode') || '|' || current_setting('wal_level') || '|' || current_setting('archive_command')")
                .split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { throw CheckProblem(description: "job \(job.name): cannot read archive_mode, wal_level and archive_command") }
            return try Self.archivingProblem(job: job.name, mode: fields[0], level: fields[1], command: fields[2])
        }
        steps.run("archive user's access to the control socket") {
            guard let stateDirectory else { return "not checked (no state directory)" }
            return try Self.socketProblem(stateDirectory: stateDirectory, user: pitr.archiveUser, uid: pitr.archiveUID)
        }
    }

    /// What is wrong with the server's archiving settings for `job`, or what is right.
    static func archivingProblem(job: String, mode: String, level: String, command: String) throws -> String {
        var problems: [String] = []
        if mode != "on" && mode != "always" { problems.append("archive_mode is \(mode); set archive_mode = on (needs a restart)") }
        if level != "replica" && level != "logical" { problems.append("wal_level is \(level); set wal_level = replica (needs a restart)") }
        let words = command.split(separator: " ").map(String.init)
        if !(words.contains("wal-push") && words.contains(job) && words.contains("%p")) {
            problems.append("archive_command is \(ConfigReader.quote(command)); set archive_command = 'backupd wal-push --config FILE \(job) %p'")
        }
        guard problems.isEmpty else { throw CheckProblem(description: "job \(job): " + problems.joined(separator: "; ")) }
        return "archive_mode = \(mode), wal_level = \(level), archive_command runs wal-push for \(job)"
    }

    /// Whether the archive user can reach the daemon's control socket (the daemon admits it by
    /// SO_PEERCRED once its config names it); throws what stops it.
    static func socketProblem(stateDirectory: String, user: String, uid: UInt32) throws -> String {
        let socket = stateDirectory + "/" + ControlSocket.fileName
        var info = stat()
        guard stat(socket, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else {
            throw CheckProblem(description: "\(socket) is not there: is the daemon running (systemctl status backupd)? wal-push needs it")
        }
        var directory = stat()
        _ = stat(stateDirectory, &directory)
        let owner = info.st_uid == uid
        let connects = owner ? info.st_mode & 0o200 != 0 : info.st_mode & 0o002 != 0
        let enters = directory.st_uid == uid ? directory.st_mode & 0o100 != 0 : directory.st_mode & 0o001 != 0
        guard connects && enters else {
            throw CheckProblem(description: "\(user) (uid \(uid)) cannot reach \(socket) (socket mode \(String(info.st_mode & 0o777, radix: 8)), directory mode \(String(directory.st_mode & 0o777, radix: 8))); restart the daemon with this config so it opens the socket to archive users")
        }
        return "\(user) (uid \(uid)) can reach \(socket); the daemon admits it by peer credentials"
    }
}
