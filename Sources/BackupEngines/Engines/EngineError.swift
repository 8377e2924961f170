import BackupCore

/// Why a job's dump or restore could not be done, in words a user can act on; every case names the job.
public enum EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The engine's tool is not installed (or not on `PATH`).
    case toolMissing(job: String, tool: String, package: String, path: String)
    /// The tool is older than the server, which it cannot dump correctly.
    case toolTooOld(job: String, tool: String, toolVersion: String, serverVersion: String)
    /// Nothing accepted the connection.
    case connectionRefused(job: String, target: String, detail: String)
    /// The server refused the user name or password.
    case authenticationFailed(job: String, user: String, detail: String)
    /// The database to dump (or restore into) does not exist.
    case databaseMissing(job: String, database: String, detail: String)
    /// The tool failed for another reason; `detail` is its stderr's error lines and tail (`StderrSummary`).
    case toolFailed(job: String, tool: String, exit: ProcessExit, detail: String)
    /// The dump took longer than the job's timeout and was killed.
    case timedOut(job: String, timeout: String)
    /// A check before the dump (a version query) got no answer in time.
    case checkTimedOut(job: String, tool: String, seconds: Int)
    /// The run was cancelled (daemon shutdown) and the tool killed.
    case cancelled(job: String, reason: String)
    /// A restore needs a target this engine cannot guess.
    case restoreTargetRequired(job: String, hint: String)
    /// The job has no way to restore.
    case restoreUnsupported(job: String, hint: String)
    /// The job's `tables` selects no table (MySQL/MariaDB, resolved before the dump).
    case noTablesSelected(job: String, database: String, selection: String)

    public var description: String {
        switch self {
        case .toolMissing(let job, let tool, let package, let path):
            return "job \(job): \(tool) is not installed or not on PATH (\(path)); install \(package)"
        case .toolTooOld(let job, let tool, let toolVersion, let serverVersion):
            return "job \(job): \(tool) \(toolVersion) is older than the server (\(serverVersion)) and cannot dump it reliably; install the client tools of version \(serverVersion) or newer"
        case .connectionRefused(let job, let target, let detail):
            return "job \(job): cannot connect to \(target): \(detail); is the server running and listening there?"
        case .authenticationFailed(let job, let user, let detail):
            return "job \(job): the server rejected user \(user): \(detail); check jobs[\"\(job)\"].connection.username and the password jobs[\"\(job)\"].connection.password names"
        case .databaseMissing(let job, let database, let detail):
            return "job \(job): database \(database) does not exist (\(detail)); check \"database\" in the job's connection (or create it before a restore)"
        case .toolFailed(let job, let tool, let exit, let detail):
            return "job \(job): \(tool) failed (\(exit))\(detail.isEmpty ? "" : ": \(detail)")"
        case .timedOut(let job, let timeout):
            return "job \(job): timed out after \(timeout): the dump was killed and its upload aborted; raise \"timeout\" or find what slows it"
        case .checkTimedOut(let job, let tool, let seconds):
            return "job \(job): \(tool) got no answer from the server within \(seconds) s while checking its version and was killed; check that the host and port are right and that nothing between drops the traffic"
        case .cancelled(let job, let reason):
            return "job \(job): stopped: \(reason)"
        case .restoreTargetRequired(let job, let hint):
            return "job \(job): \(hint)"
        case .restoreUnsupported(let job, let hint):
            return "job \(job): \(hint)"
        case .noTablesSelected(let job, let database, let selection):
            return "job \(job): \"tables\" (\(selection)) selects no table of database \(database), so there is nothing to back up; run `backupd check \(job)` to see what each pattern matches"
        }
    }
}
