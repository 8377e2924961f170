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

    /// Creates a restorer.
    public init(stores: any ObjectStoreProvider, launcher: any ProcessLauncher, environment: [String: String], secretsParent: String? = nil) {
        self.stores = stores
        self.launcher = launcher
        self.environment = environment
        self.secretsParent = secretsParent
    }

    /// What a restore did.
    public struct Result: Sendable, Hashable {
        /// The object restored.
        public var key: String
        /// Bytes downloaded.
        public var bytesDownloaded: Int64
        /// Bytes after decompression, written to the tool or file.
        public var bytesRestored: Int64
        /// Where they went (the tool or the file).
        public var destination: String
        /// The tool's stderr (redacted), if a tool ran.
        public var stderrTail: String
    }

    /// The job's backups in the bucket, oldest first (only this job's names, not a longer job name's).
    public func backups(of job: JobConfig, config: BackupConfig) throws -> [StoredObject] {
        try backups(of: job, in: openStore(job: job, config: config))
    }

    private func backups(of job: JobConfig, in store: any BackupObjectStore) throws -> [StoredObject] {
        try store.list(prefix: ObjectName.listPrefix(prefix: job.prefix, job: job.name))
            .filter { ObjectName.belongs($0.key, prefix: job.prefix, job: job.name) }
    }

    /// Restores `key` (default: the job's newest primary backup). Throws `RestoreError` or `EngineError`.
    public func restore(job: JobConfig, config: BackupConfig, key requested: String?, options: RestoreOptions, identity: String? = nil, logger: Logger) throws -> Result {
        let store = try openStore(job: job, config: config)
        let key: String
        if let requested {
            let full = requested.contains("/") || job.prefix.isEmpty ? requested : "\(job.prefix)/\(requested)"
            guard try store.head(key: full) != nil else { throw RestoreError.noSuchObject(job: job.name, key: full) }
            key = full
        } else {
            let primaries = try backups(of: job, in: store).filter { !$0.key.contains(".globals.") }
            guard let newest = primaries.max(by: { $0.key < $1.key }) else {
                throw RestoreError.noBackups(job: job.name, prefix: ObjectName.listPrefix(prefix: job.prefix, job: job.name))
            }
            key = newest.key
        }
        let secrets = try SecretDirectory(parent: secretsParent)
        defer { secrets.remove() }
        let context = EngineContext(job: job, secrets: secrets, launcher: launcher, baseEnvironment: EngineContext.baseEnvironment(from: environment))
        let driver = EngineDrivers.driver(for: job)
        let action = try driver.restoreAction(key: key, options: options, context: context)
        let redactor = Redactor(secrets: EngineDrivers.secrets(of: job))
        let encrypted = key.hasSuffix(BackupRunner.encryptedSuffix)
        if encrypted, identity == nil { throw EncryptionError.identityRequired(job: job.name, key: key) }
        let codec = try Compression.of(objectKey: encrypted ? String(key.dropLast(BackupRunner.encryptedSuffix.count)) : key).makeDecompressor()
        let toolEnvironment = EngineContext.baseEnvironment(from: environment)
        /// The download's chunks through age (when the object is encrypted) into `sink`.
        func feed(_ sink: CodecSink) throws -> (write: (UnsafeRawBufferPointer) throws -> Void, finish: () throws -> Void, abort: () -> Void) {
            guard encrypted, let identity else { return ({ try sink.write($0) }, {}, {}) }
            let age = try AgeDecryptingSink(identity: identity, key: key, launcher: launcher, environment: toolEnvironment) { try sink.write($0) }
            return ({ try age.write($0) }, { try age.finish() }, { age.abort() })
        }
        var downloaded: Int64 = 0
        var restored: Int64 = 0
        logger.info("restore started", metadata: ["job": "\(job.name)", "s3.key": "\(key)"])

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
            let input = try feed(sink)
            do {
                try store.download(key: key) { chunk in
                    downloaded += Int64(chunk.count)
                    try input.write(chunk)
                }
                try input.finish()
            } catch {
                input.abort()
                throw error
            }
            try sink.finish()
            guard fsync(fd) == 0 else { throw RestoreError.cannotWrite(job: job.name, path: path, reason: String(cString: strerror(errno))) }
            ok = true
            return Result(key: key, bytesDownloaded: downloaded, bytesRestored: restored, destination: path, stderrTail: "")

        case .process(let tool, let argv, let environment):
            let process = try launcher.launch(ProcessSpec(argv: argv, environment: environment, input: .pipe, captureOutput: false))
            let sink = CodecSink(codec: codec) { bytes in
                try process.writeInput(bytes)
                restored += Int64(bytes.count)
            }
            do {
                let input = try feed(sink)
                do {
                    try store.download(key: key) { chunk in
                        downloaded += Int64(chunk.count)
                        try input.write(chunk)
                    }
                    try input.finish()
                } catch {
                    input.abort()
                    throw error
                }
                try sink.finish()
            } catch let error as EncryptionError {
                process.kill()
                _ = process.wait()
                throw error
            } catch {
                process.closeInput()
                // A tool that stopped reading has its own reason: prefer it over the broken pipe.
                let stoppedEarly = error is ProcessError
                if !stoppedEarly { process.kill() }
                let exit = process.wait()
                let stderr = redactor.redact(process.stderrTail())
                if stoppedEarly, !exit.succeeded {
                    throw driver.failure(tool: tool, exit: exit, stderr: stderr, job: job.name)
                }
                throw RestoreError.transfer(job: job.name, key: key, reason: redactor.redact("\(error)"), stderr: stderr)
            }
            process.closeInput()
            let exit = process.wait()
            let stderr = redactor.redact(process.stderrTail())
            guard exit.succeeded else {
                throw driver.failure(tool: tool, exit: exit, stderr: stderr, job: job.name)
            }
            return Result(key: key, bytesDownloaded: downloaded, bytesRestored: restored, destination: tool, stderrTail: stderr)
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
            let detail = FailureClassifier.lastLine(stderr)
            return "job \(job): restoring \(key) failed: \(reason)\(detail.isEmpty ? "" : "; the restore tool said: \(detail)")"
        }
    }
}
