import BackupCore
import BackupEngines
import ConfigKit
import Foundation
import Logging

/// Checks a stored backup without a database: streams each object back, recomputes its SHA-256
/// and size against the manifest, decodes the compression layer fully (zstd's frame checksum,
/// gzip's CRC), and feeds the content to the engine's own format check.
public struct BackupVerifier: Sendable {
    /// Starts the format-checking tools.
    public let launcher: any ProcessLauncher
    /// backupd's own environment, from which the tools' minimal one is taken.
    public let environment: [String: String]
    /// The source of time for the report.
    public let clock: any WallClock

    /// Creates a verifier.
    public init(launcher: any ProcessLauncher, environment: [String: String], clock: any WallClock) {
        self.launcher = launcher
        self.environment = environment
        self.clock = clock
    }

    /// Verifies `entry` of `job` read from `store`. Never throws for a bad backup (that is the
    /// report's content). An encrypted backup is decrypted with the age `identity` file before its
    /// content is checked; without one only its stored objects' digests are checked, and the report
    /// says so (`contentSkipped`).
    public func verify(_ entry: CatalogEntry, job: JobConfig, store: any BackupObjectStore, identity: String? = nil, logger: Logger) async -> VerifyReport {
        let started = clock.now()
        var report = VerifyReport(
            job: job.name, backupId: entry.id, manifestKey: entry.manifestKey, state: entry.state.rawValue, objects: [], drill: nil,
            startedAt: started, endedAt: started, problems: [])
        report.tables = entry.manifest?.tables
        guard let manifest = entry.manifest, entry.isUsable else {
            report.problems.append(
                "backup \(entry.id) is incomplete: \(entry.problem ?? "it has no manifest"); expected \(ObjectName.manifestKey(prefix: job.prefix, backupID: entry.id))")
            report.endedAt = clock.now()
            return report
        }
        let compression = Compression(rawValue: manifest.compression) ?? .none
        let encrypted = manifest.encryption != nil || manifest.objects.contains { $0.key.hasSuffix(BackupRunner.encryptedSuffix) }
        if encrypted, identity == nil {
            report.contentSkipped =
                "the backup is encrypted with age and no --identity was given: only the stored objects' sizes and SHA-256 were checked, not the compression or the \(manifest.engine) format"
        }
        for object in manifest.objects {
            var log = logger
            log[metadataKey: "s3.key"] = "\(object.key)"
            let layers = Layers(compression: compression, encrypted: encrypted, identity: identity)
            report.objects.append(await check(object, layers: layers, engine: manifest.engine, job: job, store: store))
            log.info("object verified", metadata: ["verify.passed": "\(report.objects.last?.passed ?? false)", "verify.content": "\(report.contentChecked)"])
        }
        report.endedAt = clock.now()
        return report
    }

    /// The layers over an object's content: compression, and age with the identity that opens it.
    private struct Layers {
        var compression: Compression
        var encrypted: Bool
        var identity: String?

        /// Whether the content can be read (not encrypted, or an identity was given).
        var readable: Bool { !encrypted || identity != nil }
    }

    private func check(
        _ object: BackupManifest.Object, layers: Layers, engine: String, job: JobConfig, store: any BackupObjectStore
    ) async -> VerifyReport.ObjectResult {
        var result = VerifyReport.ObjectResult(
            key: object.key, role: object.role, expectedSize: object.size, foundSize: nil, expectedSha256: object.digest,
            foundSha256: nil, compression: Self.layerName(layers.compression), format: "", problems: [])
        if layers.encrypted { result.encryption = layers.readable ? "age" : "age (not decrypted)" }
        let format: any FormatCheck
        if !layers.readable {
            result.compression = "compression not checked"
            format = DigestOnlyCheck(name: "format not checked")
        } else {
            do {
                format = try formatCheck(engine: engine, role: object.role, job: job)
            } catch EngineError.toolMissing(_, let tool, _, _) {
                // A tool missing here says nothing about the backup: the check could not run.
                result.format = "not checked"
                result.notChecked = "\(tool) not installed"
                format = DigestOnlyCheck()
            } catch {
                result.format = "not checked"
                result.problems.append("cannot start the format check: \(error)")
                format = DigestOnlyCheck()
            }
        }
        result.format = result.format.isEmpty ? format.name : result.format
        var layerError: (any Error)?
        let sink: CodecSink
        do {
            sink = CodecSink(codec: try layers.compression.makeDecompressor()) { bytes in try format.write(bytes) }
        } catch {
            result.problems.append("\(error)")
            return result
        }
        var write: ((UnsafeRawBufferPointer) throws -> Void)? = layers.readable ? { try sink.write($0) } : nil
        var age: AgeDecryptingSink?
        if layers.encrypted, let identity = layers.identity {
            do {
                let decrypting = try AgeDecryptingSink(
                    identity: identity, key: object.key, launcher: launcher, environment: EngineContext.baseEnvironment(from: environment)
                ) { try sink.write($0) }
                age = decrypting
                write = { try decrypting.write($0) }
            } catch {
                // The digests are still checked; the content cannot be.
                layerError = error
            }
        }
        // Stopping the verification stops its tools too: a tool that stopped reading would
        // otherwise hold the download's sink (and the download) forever.
        let tools = [(format as? ToolCheck)?.process, age?.running].compactMap { $0 }
        do {
            let digest = try await withTaskCancellationHandler {
                try await BackupStreamReader(store: store).read(object) { chunk in
                    guard layerError == nil, let write else { return }
                    do { try write(chunk) } catch { layerError = error }
                }
            } onCancel: {
                for tool in tools { tool.kill() }
            }
            result.foundSize = digest.size
            result.foundSha256 = digest.sha256
            result.problems += digest.segmentProblems
            if digest.size != object.size {
                result.problems.append("size expected \(object.size) bytes (manifest), found \(digest.size) bytes")
            }
            if digest.sha256 != object.digest {
                result.problems.append("SHA-256 expected \(object.digest) (manifest), found \(digest.sha256)")
            }
        } catch {
            await age?.abort()
            await (format as? ToolCheck)?.abandon()
            if Task.isCancelled || error is CancellationError {
                // Stopped (a shutdown, a timeout), not a bad object: the check could not run to the end.
                result.notChecked = "the verification was stopped: \(StopReason.text)"
            } else {
                result.problems.append("cannot be read: \(error)")
            }
            return result
        }
        if layerError == nil, layers.readable {
            do {
                try await age?.finish()
                try sink.finish()
            } catch { layerError = error }
        } else {
            await age?.abort()
        }
        if let layerError {
            await (format as? ToolCheck)?.abandon()
            if layerError is EncryptionError {
                result.problems.append("decryption failed: \(layerError)")
            } else {
                result.problems.append("compression layer (\(result.compression)) failed: \(layerError)")
            }
        } else if let problem = await format.finish() {
            result.problems.append("format check (\(format.name)) failed: \(problem)")
        }
        return result
    }

    /// The check of an engine's object, by its role.
    private func formatCheck(engine: String, role: String, job: JobConfig) throws -> any FormatCheck {
        let env = EngineContext.baseEnvironment(from: environment)
        let path = env["PATH"] ?? ""
        func tool(_ name: String, _ argv: [String]) throws -> any FormatCheck {
            guard launcher.locate(argv[0], path: path) != nil else {
                throw EngineError.toolMissing(job: job.name, tool: argv[0], package: name, path: path)
            }
            return try ToolCheck(name: argv.joined(separator: " "), argv: argv, environment: env, launcher: launcher)
        }
        switch (Engine(rawValue: engine), role) {
        case (.postgres?, "dump") where job.pitr != nil:
            return BaseBackupCheck()
        case (.postgres?, "globals"):
            return TrailerCheck(marker: DumpCheck.pgDumpallTrailer)
        case (.postgres?, _):
            return try tool("the PostgreSQL client tools (Debian: postgresql-client)", ["pg_restore", "--list"])
        case (.mysql?, _):
            return TrailerCheck(marker: DumpCheck.mysqldumpTrailer)
        case (.redis?, _):
            return try tool("redis-tools (Debian: redis-tools)", ["redis-check-rdb", "/dev/stdin"])
        case (.mongodb?, _):
            guard launcher.locate("mongorestore", path: path) != nil else { return DigestOnlyCheck(name: "digest only (mongorestore not installed)") }
            return try ToolCheck(name: "mongorestore --dryRun", argv: ["mongorestore", "--dryRun", "--archive"], environment: env, launcher: launcher)
        default:
            return DigestOnlyCheck()
        }
    }

    static func layerName(_ compression: Compression) -> String {
        switch compression {
        case .zstd: return "zstd frame checksum"
        case .gzip: return "gzip CRC"
        case .none: return "none"
        }
    }
}
