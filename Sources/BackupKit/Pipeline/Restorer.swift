import BackupCore
import BackupEngines
import BackupHistory
import ConfigKit
import Foundation
import Glibc
import Logging

/// Restores a backup: downloads the object, decompresses it as it arrives and writes it into the
/// restore tool's standard input (or a new file), never holding the whole backup.
public struct Restorer: Sendable {
    /// Opens the destination's store.
    public let stores: any ObjectStoreProvider
    /// Starts the restore tools.
    public let launcher: any ProcessLauncher
    /// backupd's own environment, from which the tools' minimal one is taken.
    public let environment: [String: String]
    /// Where credential directories are made (nil: `SecretDirectory`'s default).
    public let secretsParent: String?
    /// Where the `verifyFirst` check is recorded as a verification (nil: not recorded), and the
    /// history the newest backup is cross-checked with (a read-only one does for that).
    public let history: HistoryStore?

    /// Creates a restorer.
    public init(
        stores: any ObjectStoreProvider, launcher: any ProcessLauncher, environment: [String: String], secretsParent: String? = nil,
        history: HistoryStore? = nil
    ) {
        self.stores = stores
        self.launcher = launcher
        self.environment = environment
        self.secretsParent = secretsParent
        self.history = history
    }

    /// What a restore did.
    public struct Result: Sendable, Hashable {
        /// The object restored.
        public var key: String
        /// Bytes downloaded.
        public var bytesDownloaded: Int64
        /// Bytes after decompression (the backup as dumped; a MySQL restore may strip DEFINERs from them).
        public var bytesRestored: Int64
        /// Where they went (the tool or the file).
        public var destination: String
        /// The tool's stderr (redacted), if a tool ran.
        public var stderrTail: String
        /// The SHA-256 of what was downloaded (equal to the manifest's).
        public var sha256: String
        /// The backup's `tables` selection: set for a partial backup, which restores only those tables.
        public var tables: TableSelection? = nil
    }

    /// The job's catalog of backups in its bucket.
    public func catalog(of job: JobConfig, config: BackupConfig) throws -> BackupCatalog {
        BackupCatalog(store: try openStore(job: job, config: config), job: job)
    }

    /// Restores `requested` (a backup id, or one of its objects' keys or names; default: the main
    /// object of the job's newest complete backup). The SHA-256 and size of what streams out of the
    /// bucket are compared with the manifest before the restore tool sees the end of its input: on
    /// a mismatch the tool is killed (a PostgreSQL restore, one transaction, then leaves the target
    /// as it was) and this throws `RestoreError.digestMismatch`. With `options.verifyFirst` the
    /// whole backup is verified (and recorded in `history`, trigger `restore-verify-first`) before
    /// the target is touched. An encrypted backup (`.age`) needs the age `identity` file. Without
    /// `requested`, the bucket's newest is cross-checked with `history`'s newest stored backup.
    /// Throws `RestoreError`, `NewestBackupDisagreement`, `EncryptionError` or `EngineError`.
    public func restore(job: JobConfig, config: BackupConfig, key requested: String?, options: RestoreOptions, identity: String? = nil, logger: Logger) async throws -> Result {
        let store = try openStore(job: job, config: config)
        let catalog = BackupCatalog(store: store, job: job)
        let entry: CatalogEntry
        var chosen: BackupManifest.Object?
        if let requested {
            guard let found = try await catalog.entry(named: requested) else {
                let full = requested.contains("/") || job.prefix.isEmpty ? requested : "\(job.prefix)/\(requested)"
                throw RestoreError.noSuchObject(job: job.name, key: full)
            }
            entry = found
            let full = requested.contains("/") || job.prefix.isEmpty ? requested : "\(job.prefix)/\(requested)"
            chosen = found.manifest?.objects.first { object in object.key == full || object.pieces.contains { $0.key == full } }
        } else {
            let newest = try await catalog.latest()
            // The history's newest stored backup must not be passed over for an older one in silence.
            try NewestBackupCheck.reading(history, job: job, config: config, logger: logger)?.check(bucketNewest: newest, logger: logger)
            guard let newest else {
                throw RestoreError.noBackups(job: job.name, prefix: ObjectName.listPrefix(prefix: job.prefix, job: job.name))
            }
            entry = newest
        }
        guard let manifest = entry.manifest, entry.isUsable else {
            throw RestoreError.incomplete(job: job.name, backupID: entry.id, reason: entry.problem ?? "it has no manifest")
        }
        guard let object = chosen ?? manifest.primary else {
            throw RestoreError.noBackups(job: job.name, prefix: ObjectName.listPrefix(prefix: job.prefix, job: job.name))
        }
        if options.verifyFirst {
            let report = await BackupVerifier(launcher: launcher, environment: environment, clock: SystemWallClock())
                .verify(entry, job: job, store: store, identity: identity, logger: logger)
            do {
                try history?.insertVerification(VerificationRecord(report, trigger: .restoreVerifyFirst, destination: job.destination))
            } catch {
                logger.error("cannot record the verification in the history", metadata: ["backup.id": "\(entry.id)", "error": "\(error)"])
            }
            guard report.passed else {
                throw RestoreError.verificationFailed(job: job.name, backupID: entry.id, problems: report.allProblems)
            }
        }
        var result = try await restore(
            object, compression: Compression(rawValue: manifest.compression) ?? .none, job: job, store: store, options: options,
            identity: identity, logger: logger)
        result.tables = manifest.tables
        return result
    }

    /// Streams one manifest object into its restore tool or file, checking its digest.
    func restore(
        _ object: BackupManifest.Object, compression: Compression, job: JobConfig, store: any BackupObjectStore, options: RestoreOptions,
        identity: String? = nil, logger: Logger
    ) async throws -> Result {
        let key = object.key
        let options = options.over(job.restoreOptions)
        let secrets = try SecretDirectory(parent: secretsParent)
        defer { secrets.remove() }
        let context = EngineContext(job: job, secrets: secrets, launcher: launcher, baseEnvironment: EngineContext.baseEnvironment(from: environment))
        let driver = EngineDrivers.driver(for: job)
        let action = try driver.restoreAction(key: key, options: options, context: context)
        let redactor = Redactor(secrets: EngineDrivers.secrets(of: job), job: job.name)
        let codec = try compression.makeDecompressor()
        let reader = BackupStreamReader(store: store)
        let encrypted = key.hasSuffix(BackupRunner.encryptedSuffix)
        if encrypted, identity == nil { throw EncryptionError.identityRequired(job: job.name, key: key) }
        let toolEnvironment = EngineContext.baseEnvironment(from: environment)
        var downloaded: Int64 = 0
        var restored: Int64 = 0
        logger.info("restore started", metadata: ["job.name": "\(job.name)", "s3.key": "\(key)"])
        /// Streams the object's stored bytes (through age when it is encrypted) into `sink` and
        /// returns their digest; `sink` is not finished, so the caller checks the digest first.
        func download(into sink: CodecSink) async throws -> BackupStreamReader.Digest {
            var write: (UnsafeRawBufferPointer) throws -> Void = { try sink.write($0) }
            var age: AgeDecryptingSink?
            if encrypted, let identity {
                let decrypting = try AgeDecryptingSink(identity: identity, key: key, launcher: launcher, environment: toolEnvironment) {
                    try sink.write($0)
                }
                age = decrypting
                write = { try decrypting.write($0) }
            }
            do {
                let digest = try await reader.read(object) { chunk in
                    downloaded += Int64(chunk.count)
                    try write(chunk)
                }
                try await age?.finish()
                return digest
            } catch {
                await age?.abort()
                throw error
            }
        }
        func checkDigest(_ digest: BackupStreamReader.Digest) throws {
            // Part by part (format 2) the first bad part is named; its digest then differs too.
            guard digest.size == object.size, digest.sha256 == object.digest else {
                let part = digest.segmentProblems.first.map { "; \($0)" } ?? ""
                throw RestoreError.digestMismatch(
                    job: job.name, key: key, expected: "\(object.digest) (\(object.size) bytes)", found: "\(digest.sha256) (\(digest.size) bytes)\(part)")
            }
        }

        switch action {
        case .file(let path):
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw RestoreError.cannotWrite(job: job.name, path: path, reason: String(cString: strerror(errno))) }
            var ok = false
            defer {
                close(fd)
                if !ok { unlink(path) }
            }
            let sink = CodecSink(codec: codec) { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw RestoreError.cannotWrite(job: job.name, path: path, reason: String(cString: strerror(errno)))
                    }
                    offset += n
                }
                restored += Int64(bytes.count)
            }
            let digest = try await download(into: sink)
            try checkDigest(digest)
            try sink.finish()
            guard fsync(fd) == 0 else { throw RestoreError.cannotWrite(job: job.name, path: path, reason: String(cString: strerror(errno))) }
            ok = true
            return Result(key: key, bytesDownloaded: downloaded, bytesRestored: restored, destination: path, stderrTail: "", sha256: digest.sha256)

        case .process(let tool, let argv, let environment):
            let process = try launcher.launch(ProcessSpec(argv: argv, environment: environment, input: .pipe, captureOutput: false, inheritedFiles: secrets.descriptors))
            // Stopping the restore kills the tool: blocked in its input or its exit, the wait ends.
            return try await withTaskCancellationHandler {
                let holdBack = HoldBackSink { bytes in try process.writeInput(bytes) }
                // A MySQL restore into another database drops DEFINER clauses only SUPER may restore.
                let definers = (driver as? MySQLDriver)?.stripsDefiners(options) == true ? DefinerFilter { try holdBack.write($0) } : nil
                // Counted as decompressed (the backup's own size), before any DEFINER is stripped.
                let sink = CodecSink(codec: codec) { bytes in
                    restored += Int64(bytes.count)
                    if let definers { try definers.write(bytes) } else { try holdBack.write(bytes) }
                }
                let digest: BackupStreamReader.Digest
                do {
                    digest = try await download(into: sink)
                    // The tool has not seen the end of its input yet: a mismatch must never be committed.
                    try checkDigest(digest)
                    try sink.finish()
                    try definers?.finish()
                    try holdBack.release()
                } catch let error as EncryptionError {
                    process.kill()
                    _ = await process.ended()
                    throw error
                } catch {
                    // A tool that stopped reading has its own reason: prefer it over the broken pipe.
                    let stoppedEarly = error is ProcessError
                    if !stoppedEarly { process.kill() }
                    process.closeInput()
                    let exit = await process.ended()
                    let stderr = redactor.redact(process.stderrTail())
                    if stoppedEarly, !exit.succeeded {
                        throw driver.failure(tool: tool, exit: exit, stderr: stderr, job: job.name)
                    }
                    if let mismatch = error as? RestoreError { throw mismatch }
                    throw RestoreError.transfer(job: job.name, key: key, reason: redactor.redact("\(error)"), stderr: stderr)
                }
                process.closeInput()
                let exit = await process.ended()
                let stderr = redactor.redact(process.stderrTail())
                guard exit.succeeded else {
                    throw driver.failure(tool: tool, exit: exit, stderr: stderr, job: job.name)
                }
                return Result(key: key, bytesDownloaded: downloaded, bytesRestored: restored, destination: tool, stderrTail: stderr, sha256: digest.sha256)
            } onCancel: {
                process.kill()
            }
        }
    }

    func openStore(job: JobConfig, config: BackupConfig) throws -> any BackupObjectStore {
        guard let destination = config.destination(named: job.destination) else {
            throw RestoreError.noDestination(job: job.name, destination: job.destination)
        }
        return try stores.store(for: destination)
    }
}

/// Why a restore could not be done.
public enum RestoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The named object is not in the bucket.
    case noSuchObject(job: String, key: String)
    /// The job has no backups yet.
    case noBackups(job: String, prefix: String)
    /// The job's destination is not configured.
    case noDestination(job: String, destination: String)
    /// The restore file cannot be written.
    case cannotWrite(job: String, path: String, reason: String)
    /// The download or decompression failed.
    case transfer(job: String, key: String, reason: String, stderr: String)
    /// What the bucket returned is not what the manifest recorded.
    case digestMismatch(job: String, key: String, expected: String, found: String)
    /// The backup has no (readable) manifest.
    case incomplete(job: String, backupID: String, reason: String)
    /// `--verify-first` found problems.
    case verificationFailed(job: String, backupID: String, problems: [String])

    public var description: String {
        switch self {
        case .noSuchObject(let job, let key):
            return "job \(job): there is no object \(key) in the bucket; `backupd list \(job)` shows the backups"
        case .noBackups(let job, let prefix):
            return "job \(job): no backups under \(prefix) in the bucket; take one with `backupd run-now \(job)`"
        case .noDestination(let job, let destination):
            return "job \(job): no destination named \(destination) in the config"
        case .cannotWrite(let job, let path, let reason):
            return "job \(job): cannot write \(path): \(reason) (the file must not exist yet)"
        case .transfer(let job, let key, let reason, let stderr):
            let detail = StderrSummary.summarize(stderr, job: job)
            return "job \(job): restoring \(key) failed: \(reason)\(detail.isEmpty ? "" : "; the restore tool said: \(detail)")"
        case .digestMismatch(let job, let key, let expected, let found):
            return "job \(job): RESTORE FAILED, \(key) does not match its manifest: SHA-256 expected \(expected), found \(found); the restore was stopped before it completed (run `backupd verify \(job)`)"
        case .incomplete(let job, let backupID, let reason):
            return "job \(job): backup \(backupID) is incomplete (\(reason)); `backupd list \(job)` shows the complete ones"
        case .verificationFailed(let job, let backupID, let problems):
            return "job \(job): backup \(backupID) failed verification, the target was not touched:\n  " + problems.joined(separator: "\n  ")
        }
    }
}
