import ArgumentParser
import BackupKit
import ConfigKit
import Foundation

/// `restore`'s options for a PITR job: where to stop and which directory to restore into.
struct PITRRestoreOptions: ParsableArguments {
    @Option(help: "PITR: replay up to this time, e.g. '2026-12-06 12:00:00+01:00' (a zone is required).")
    var time: String?

    @Option(help: "PITR: replay up to this WAL position, e.g. 0/3000060.")
    var lsn: String?

    @Flag(help: "PITR: replay everything archived.")
    var latest = false

    @Option(help: "PITR: the timeline to recover along (default: the latest).")
    var timeline: UInt32?

    @Option(name: .customLong("to-dir"), help: "PITR: the empty directory the cluster is restored into.")
    var toDirectory: String?

    /// Whether any PITR option was given.
    var requested: Bool { time != nil || lsn != nil || latest || timeline != nil || toDirectory != nil }

    /// The target, or a usage error naming what is wrong.
    func target() throws -> RecoveryTarget {
        let given = [time != nil, lsn != nil, latest].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --time, --lsn and --latest") }
        if let time {
            guard let date = RecoveryTarget.parseTime(time) else {
                throw ValidationError("--time \"\(time)\" is not a time with a zone; write it like '2026-12-06 12:00:00+01:00' or 2026-12-06T11:00:00Z")
            }
            return .time(date)
        }
        if let lsn {
            guard let position = LSN(lsn) else { throw ValidationError("--lsn \"\(lsn)\" is not a WAL position such as 0/3000060") }
            return .lsn(position)
        }
        return .latest
    }
}

extension RestoreCommand {
    /// Restores a PITR job into `--to-dir` and prints what to do next.
    func runPITR(config: BackupConfig) async throws {
        let target = try pitr.target()
        guard let directory = pitr.toDirectory else { throw ValidationError("--to-dir DIR is required: the empty directory to restore the cluster into") }
        let job = try requireJob(self.job, in: config, path: options.config)
        let absolute = { (path: String) in path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let restore = JobRestore(config: config, verifyFirst: false, logger: commandLogger(verbose: verbose), warn: printError)
        do {
            let result = try await restore.restorePITR(
                job: job, target: target, timeline: pitr.timeline, directory: absolute(directory), identity: identity.map(absolute),
                executable: absolute(executable), configPath: absolute(options.config), logger: commandLogger(verbose: verbose))
            print("restored base backup \(result.backupID) (WAL from \(result.baseBackup.startLSN) on timeline \(result.baseBackup.timeline)) into \(absolute(directory))")
            for (name, value) in result.settings { print("  \(name) = '\(value)'") }
            print("next: start PostgreSQL on it as its user (pg_ctl -D \(absolute(directory)) start); it replays the WAL and promotes at the target")
        } catch {
            printError("restore of \(job.name) failed: \(error)")
            throw ExitCode.failure
        }
    }
}
