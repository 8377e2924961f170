import BackupCore
import BackupEngines
import ConfigKit
import Foundation
import Logging

/// The daemon's side of `wal-push`: takes a WAL file from the control socket and stores it in
/// the job's archive at every destination of the job, then replies. The reply is `result` only
/// when every destination has the file; otherwise `error`, and PostgreSQL tries again.
public struct WALReceiver: Sendable {
    /// The config in force.
    let configs: ConfigStore
    /// Opens a destination's WAL store.
    let makeStore: @Sendable (DestinationConfig) -> any WALStore
    let launcher: any ProcessLauncher
    let environment: [String: String]
    let logger: Logger

    /// A receiver for the jobs of `configs`.
    public init(
        configs: ConfigStore, launcher: any ProcessLauncher, environment: [String: String], logger: Logger,
        makeStore: (@Sendable (DestinationConfig) -> any WALStore)? = nil
    ) {
        self.configs = configs
        self.launcher = launcher
        self.environment = environment
        self.logger = logger
        self.makeStore = makeStore ?? { S3WALStore(destination: $0, logger: logger) }
    }

    /// The uids the control socket admits for `wal-push` under `config`.
    public static func archiveUIDs(_ config: BackupConfig) -> Set<UInt32> {
        Set(config.jobs.compactMap { $0.pitr?.archiveUID })
    }

    /// Stores `contents` as `name` for `jobName`; `peerUID` is who sent it. Returns where it went.
    public func receive(job jobName: String, name rawName: String, contents: [UInt8], peerUID: UInt32) async throws -> String {
        let config = configs.current
        guard let job = config.job(named: jobName), let pitr = job.pitr else { throw WALError.notPITRJob(job: jobName) }
        guard let name = WALFileName(rawName) else { throw WALError.badName(name: rawName) }
        // An archive user may push only for its own jobs; root and the daemon's user for any.
        guard peerUID == 0 || peerUID == geteuid() || peerUID == pitr.archiveUID else {
            throw WALError.refused(job: jobName, name: rawName, detail: "uid \(peerUID) is not this job's archiveUser (\(pitr.archiveUser))")
        }
        var log = logger
        log[metadataKey: "job.name"] = "\(job.name)"
        log[metadataKey: "wal.name"] = "\(name.name)"
        var outcomes: [String] = []
        for destinationName in job.destinations {
            guard let destination = config.destination(named: destinationName) else { continue }
            let archive = WALArchive(job: job, store: makeStore(destination), launcher: launcher, environment: environment)
            switch try await archive.push(name: name, contents: contents) {
            case .stored(let key):
                log.info("WAL file archived", metadata: ["s3.key": "\(key)", "s3.destination": "\(destinationName)", "wal.bytes": "\(contents.count)"])
                outcomes.append("stored \(key) at \(destinationName)")
            case .alreadyArchived(let key):
                log.info("WAL file was already archived with the same content", metadata: ["s3.key": "\(key)", "s3.destination": "\(destinationName)"])
                outcomes.append("already archived \(key) at \(destinationName)")
            }
        }
        return outcomes.joined(separator: "; ")
    }
}

extension WALReceiver {
    /// The control socket's `wal-push` with a live receiver over S3 for the jobs of `configs`.
    @Sendable public static func pushing(configs: ConfigStore, logger: Logger) -> ControlServer.WALPushing {
        let receiver = WALReceiver(
            configs: configs, launcher: PosixProcessLauncher(),
            environment: EngineContext.baseEnvironment(from: ProcessInfo.processInfo.environment), logger: logger)
        return ControlServer.WALPushing(archiveUIDs: { archiveUIDs(configs.current) }) { job, name, bytes, uid in
            try await receiver.receive(job: job, name: name, contents: bytes, peerUID: uid)
        }
    }
}
