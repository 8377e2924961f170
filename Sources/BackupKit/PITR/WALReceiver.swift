import BackupCore
import BackupEngines
import ConfigKit
import Foundation
import Logging
import SigV4

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
    /// Segments `wal-push` sent ahead of PostgreSQL's asking.
    let ahead: WALAheadStores

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
        ahead = WALAheadStores()
    }

    /// The uids the control socket admits for `wal-push` under `config`.
    public static func archiveUIDs(_ config: BackupConfig) -> Set<UInt32> {
        Set(config.jobs.compactMap { $0.pitr?.archiveUID })
    }

    /// Stores `contents` as `name` for `jobName`; `peerUID` is who sent it. Returns where it went.
    public func receive(job jobName: String, name rawName: String, contents: [UInt8], peerUID: UInt32) async throws -> String {
        let (job, name, config) = try admit(job: jobName, name: rawName, peerUID: peerUID)
        let log = logger(job: job, name: name)
        let digest = SHA256.hex(SHA256.hash(contents))
        if let confirmed = await confirmSentAhead(job: job, name: name, digest: digest, config: config, logger: log) {
            return confirmed
        }
        var outcomes: [String] = []
        for (destinationName, archive) in archives(of: job, config: config) {
            switch try await archive.push(name: name, contents: contents, digest: digest) {
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

    /// Stores a segment `wal-push` sent ahead (the next one waiting in `pg_wal/archive_status`)
    /// and returns once it is stored or failed; its later push is answered from the bucket (see
    /// `WALAheadStores`). Only WAL segments are taken ahead; anything refused is just not stored.
    public func storeAhead(job jobName: String, name rawName: String, contents: [UInt8], peerUID: UInt32) async {
        guard let (job, name, config) = try? admit(job: jobName, name: rawName, peerUID: peerUID), name.kind == .segment else { return }
        let log = logger(job: job, name: name)
        let archives = archives(of: job, config: config)
        let started = ahead.begin(job: job.name, name: name.name) { [log] in
            let digest = SHA256.hex(SHA256.hash(contents))
            do {
                for (_, archive) in archives {
                    _ = try await archive.push(name: name, contents: contents, digest: digest)
                }
                log.debug("WAL segment stored ahead of its push")
                return digest
            } catch {
                log.info("WAL segment sent ahead was not stored; its push will store it", metadata: ["error": "\(error)"])
                return nil
            }
        }
        guard let started else { return }
        await withTaskCancellationHandler { _ = await started.value } onCancel: { started.cancel() }
    }

    /// The answer to the push of a segment sent ahead: nil unless its store succeeded with
    /// `digest` and every destination's HEAD now finds the object with that digest recorded.
    private func confirmSentAhead(job: JobConfig, name: WALFileName, digest: String, config: BackupConfig, logger: Logger) async -> String? {
        guard let store = ahead.take(job: job.name, name: name.name) else { return nil }
        let stored = await withTaskCancellationHandler { await store.value } onCancel: { store.cancel() }
        guard stored == digest else { return nil }
        var outcomes: [String] = []
        for (destinationName, archive) in archives(of: job, config: config) {
            guard let key = try? await archive.confirm(name: name, digest: digest) else { return nil }
            logger.info("WAL file archived", metadata: ["s3.key": "\(key)", "s3.destination": "\(destinationName)", "wal.bytes": "sent-ahead"])
            outcomes.append("stored \(key) at \(destinationName)")
        }
        return outcomes.joined(separator: "; ")
    }

    /// The job, the parsed name and the config in force, when `peerUID` may push `rawName` for `jobName`.
    private func admit(job jobName: String, name rawName: String, peerUID: UInt32) throws -> (JobConfig, WALFileName, BackupConfig) {
        let config = configs.current
        guard let job = config.job(named: jobName), let pitr = job.pitr else { throw WALError.notPITRJob(job: jobName) }
        guard let name = WALFileName(rawName) else { throw WALError.badName(name: rawName) }
        // An archive user may push only for its own jobs; root and the daemon's user for any.
        guard peerUID == 0 || peerUID == geteuid() || peerUID == pitr.archiveUID else {
            throw WALError.refused(job: jobName, name: rawName, detail: "uid \(peerUID) is not this job's archiveUser (\(pitr.archiveUser))")
        }
        return (job, name, config)
    }

    /// The job's archive at each of its destinations, in the config's order.
    private func archives(of job: JobConfig, config: BackupConfig) -> [(destination: String, archive: WALArchive)] {
        WALArchive.everyDestination(of: job, config: config, store: makeStore, launcher: launcher, environment: environment)
    }

    /// The receiver's logger with the job and the WAL file in its metadata.
    private func logger(job: JobConfig, name: WALFileName) -> Logger {
        var log = logger
        log[metadataKey: "job.name"] = "\(job.name)"
        log[metadataKey: "wal.name"] = "\(name.name)"
        return log
    }
}

extension WALReceiver {
    /// The control socket's `wal-push` with a live receiver over S3 for the jobs of `configs`.
    @Sendable public static func pushing(configs: ConfigStore, logger: Logger) -> ControlServer.WALPushing {
        let receiver = WALReceiver(
            configs: configs, launcher: PosixProcessLauncher(),
            environment: EngineContext.baseEnvironment(from: ProcessInfo.processInfo.environment), logger: logger)
        return ControlServer.WALPushing(
            archiveUIDs: { archiveUIDs(configs.current) },
            ahead: { job, name, bytes, uid in await receiver.storeAhead(job: job, name: name, contents: bytes, peerUID: uid) }
        ) { job, name, bytes, uid in
            try await receiver.receive(job: job, name: name, contents: bytes, peerUID: uid)
        }
    }
}
