import BackupCore
import ConfigKit
import Foundation
import Glibc
import Logging
import Synchronization

/// The restore drill of a PITR job (`verify --restore-to-dir DIR`): restores to the latest point
/// into a new scratch directory under DIR (as `restore --latest --to-dir` does), starts PostgreSQL
/// on it with the server programs of the backup's major version (Unix socket in a private
/// directory, no TCP), waits for recovery to end and the promotion, checks that replay reached the
/// newest archived segment, runs a query, stops the server (fast) and removes the directory,
/// whatever happened. As root the server runs as the job's `pitr.archiveUser` (PostgreSQL refuses
/// root); otherwise as backupd's own user.
public struct PITRDrill: Sendable {
    /// What `restore_command` runs: `executable wal-fetch --config configPath` (both absolute).
    public struct Command: Sendable, Hashable {
        public var executable: String
        public var configPath: String

        /// The `backupd` binary and the config file the restored server's `restore_command` uses.
        public init(executable: String, configPath: String) {
            self.executable = executable
            self.configPath = configPath
        }

        /// This process's own executable (`/proc/self/exe`) and `configPath`, both made absolute.
        public static func current(configPath: String) -> Command {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            return Command(executable: absolute(executable), configPath: absolute(configPath))
        }

        /// `path` made absolute against the current directory.
        public static func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        }
    }

    /// Scratch directories of drills under way, so that a signal handler can remove them.
    public final class Scratch: Sendable {
        private let paths = Mutex<Set<String>>([])

        /// An empty registry.
        public init() {}

        func add(_ path: String) { paths.withLock { _ = $0.insert(path) } }
        func remove(_ path: String) { paths.withLock { _ = $0.remove(path) } }

        /// Removes every scratch directory still registered (after the tools were killed).
        public func removeAll() {
            for path in paths.withLock({ $0 }) { PITRDrill.removeTree(path) }
        }
    }

    let restorer: Restorer
    let command: Command
    let scratch: Scratch
    let clock: any WallClock

    /// A drill restoring through `restorer` (its launcher starts the server and psql).
    public init(restorer: Restorer, command: Command, scratch: Scratch, clock: any WallClock) {
        self.restorer = restorer
        self.command = command
        self.scratch = scratch
        self.clock = clock
    }

    /// Runs the drill of `job` under `parent` (an absolute directory); `identity` decrypts an
    /// encrypted job's base backup and WAL. A failure is the result's `error`; missing server
    /// programs are its `notRun`.
    public func run(job: JobConfig, config: BackupConfig, parent: String, identity: String?, logger: Logger) async -> DrillResult {
        let directory = parent + "/backupd-drill-\(job.name)-\(UUID().uuidString.prefix(8).lowercased())"
        var result = DrillResult(database: directory, tables: 0, rows: 0, seconds: 0, dropped: false, error: nil, replayedTo: "-")
        let started = clock.now()
        var log = logger
        log[metadataKey: "drill.directory"] = "\(directory)"
        scratch.add(directory)
        do {
            try await drill(job: job, config: config, directory: directory, identity: identity, result: &result, logger: log)
        } catch PITRDrillError.serverMissing(let detail) {
            result.notRun = detail
        } catch {
            result.error = "\(error)"
        }
        result.seconds = clock.now().timeIntervalSince(started)
        await BlockingBridge.shared.runToCompletion { Self.removeTree(directory) }
        result.dropped = access(directory, F_OK) != 0
        if !result.dropped { result.error = (result.error.map { $0 + "; " } ?? "") + "the scratch directory \(directory) could not be removed" }
        scratch.remove(directory)
        log.info("PITR restore drill finished", metadata: ["drill.error": "\(result.error ?? "none")"])
        return result
    }

    private func drill(
        job: JobConfig, config: BackupConfig, directory: String, identity: String?, result: inout DrillResult, logger: Logger
    ) async throws {
        guard let pitr = job.pitr else { throw PITRRestoreError.notPITRJob(job: job.name) }
        try PITRRestorer.prepareEmptyDirectory(directory)
        let data = directory + "/data"
        let restored = try await PITRRestorer(restorer: restorer, executable: command.executable, configPath: command.configPath)
            .restore(job: job, config: config, target: .latest, timeline: nil, directory: data, identity: identity, logger: logger)
        let chains = try await WALChainVerifier(stores: restorer.stores).check(job: job, config: config, logger: logger)
        let chain = chains.first { $0.base.id == restored.backupID }
        let server = try PITRDrillServer(
            directory: directory, data: data, user: geteuid() == 0 ? pitr.archiveUser : nil,
            role: Self.role(of: job), launcher: restorer.launcher, environment: restorer.environment)
        try await server.prepare()
        let process = try server.start()
        let outcome = await server.awaitPromotion(process, timeout: pitr.drillTimeout, clock: clock)
        var problems: [String] = []
        switch outcome {
        case .died(let reason):
            throw PITRDrillError.serverFailed(reason)
        case .timedOut:
            problems.append("recovery did not end within \(DurationText.format(pitr.drillTimeout)) (pitr.drillTimeout)")
        case .promoted:
            do {
                let answer = try await server.query(
                    "SELECT (SELECT count(*) FROM pg_database), pg_last_wal_replay_lsn(), (SELECT timeline_id FROM pg_control_checkpoint())")
                let fields = answer.split(separator: "|").map(String.init)
                result.tables = Int(fields.first ?? "") ?? 0
                if result.tables == 0 { problems.append("the restored cluster answered \(answer) to its query: no database") }
                let replayed = fields.count > 1 ? LSN(fields[1]) : nil
                result.replayedTo = replayed.map { "\($0)" } ?? "-"
                if let newest = chain?.newestSegment, let number = WALFileName(newest)?.segmentNumber {
                    if let replayed, replayed.value / LSN.segmentSize < number {
                        problems.append("recovery stopped at \(replayed), before the newest archived WAL \(newest)")
                    } else if replayed == nil {
                        problems.append("the restored cluster reports no replayed WAL (\(answer))")
                    }
                }
                logger.info("PITR drill recovered", metadata: ["drill.replayed_lsn": "\(replayed.map { "\($0)" } ?? "?")", "drill.databases": "\(result.tables)"])
            } catch {
                problems.append("\(error)")
            }
        }
        if let chain, !chain.isComplete { problems.append("missing \(chain.missing.joined(separator: ", "))") }
        if let stopped = await server.stop(process) { problems.append(stopped) }
        if !problems.isEmpty { throw PITRDrillError.recovery(problems.joined(separator: "; ")) }
    }

    /// A role that exists in the restored cluster: the job's own (it takes the base backups).
    static func role(of job: JobConfig) -> String {
        if case .sql(let connection) = job.connection, let user = connection.username { return user }
        return job.pitr?.archiveUser ?? "postgres"
    }

    /// Removes `path` and everything below it (a missing path is fine), retrying for up to
    /// `patience`: after a kill the postmaster's children (each in a session of its own, so not
    /// in the killed group) end only once they notice, and may still write files meanwhile.
    static func removeTree(_ path: String, patience: Duration = .seconds(5)) {
        let deadline = ContinuousClock.now + patience
        while true {
            try? FileManager.default.removeItem(atPath: path)
            if access(path, F_OK) != 0 || ContinuousClock.now >= deadline { return }
            usleep(100_000)
        }
    }
}

/// Why a PITR restore drill failed.
public enum PITRDrillError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server programs of the backup's major version are not installed.
    case serverMissing(String)
    /// The restored server stopped (or never started).
    case serverFailed(String)
    /// Recovery did not reach the end of the archive, or the check query failed.
    case recovery(String)
    /// A step of the drill could not run.
    case step(String)
    /// The drill asked for does not fit the job: `--restore-to-dir` for a dump job (`pitr` false),
    /// `--restore-to` for a PITR job (`pitr` true).
    case wrongDrill(job: String, pitr: Bool)

    public var description: String {
        switch self {
        case .serverMissing(let detail): return detail
        case .serverFailed(let detail): return "the restored PostgreSQL server stopped: \(detail)"
        case .recovery(let detail): return detail
        case .step(let detail): return detail
        case .wrongDrill(let job, true):
            return "job \(job) is a PITR job: its base backups are no pg_restore archives; drill it with --restore-to-dir DIR (a scratch directory is made under DIR)"
        case .wrongDrill(let job, false):
            return "job \(job) is not a PITR job; --restore-to-dir drills PITR jobs, --restore-to SCRATCH drills a dump into a scratch database"
        }
    }
}
