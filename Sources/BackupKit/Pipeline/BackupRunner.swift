import BackupCore
import BackupEngines
import BackupHistory
import ConfigKit
import Foundation
import Logging
import Synchronization

/// Takes one backup: runs the engine's tool, compresses its output as it is read and streams it
/// into the destination, confirms each stored object with a HEAD, then writes the backup's
/// manifest last (see `BackupRunner+Manifest`). The live `BackupExecutor`.
public struct BackupRunner: BackupExecutor {
    /// Opens the destination's store.
    public let stores: any ObjectStoreProvider
    /// Starts the dump tools.
    public let launcher: any ProcessLauncher
    /// Names objects after the run's start; gives the end time.
    public let clock: any WallClock
    /// backupd's own environment, from which the tools' minimal one is taken.
    public let environment: [String: String]
    /// Where credential directories are made (nil: `SecretDirectory`'s default).
    public let secretsParent: String?
    /// The host name the manifest records.
    public let host: String
    /// Makes each run's 8-hex-digit name token.
    public let makeToken: @Sendable () -> String
    /// The largest stored size of a job's recent successful backups (the daemon reads the
    /// history; nil by default), which sizes equal parts when the job sets no `expectedSize`.
    public let recentSize: @Sendable (JobConfig) -> Int64?
    /// The dump sizes of the job's recent good backups, newest first (the daemon reads the
    /// history; none by default), for the suspicious-shrinkage rule (`ShrinkageRule`).
    public let recentDumpSizes: @Sendable (JobConfig) -> [Int64]

    /// Creates a runner.
    public init(
        stores: any ObjectStoreProvider, launcher: any ProcessLauncher, clock: any WallClock,
        environment: [String: String], secretsParent: String? = nil, host: String = ProcessInfo.processInfo.hostName,
        makeToken: @escaping @Sendable () -> String = ObjectName.randomToken,
        recentSize: @escaping @Sendable (JobConfig) -> Int64? = { _ in nil },
        recentDumpSizes: @escaping @Sendable (JobConfig) -> [Int64] = { _ in [] }
    ) {
        self.stores = stores
        self.launcher = launcher
        self.clock = clock
        self.environment = environment
        self.secretsParent = secretsParent
        self.host = host
        self.makeToken = makeToken
        self.recentSize = recentSize
        self.recentDumpSizes = recentDumpSizes
    }

    public func execute(
        job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        await execute(run: nil, job: job, config: config, startedAt: startedAt, progress: progress, logger: logger)
    }

    public func execute(
        run: RunIdentity, job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        await execute(run: Optional(run), job: job, config: config, startedAt: startedAt, progress: progress, logger: logger)
    }

    /// Runs the backup; cancelling the task (with a `StopReason`) kills the tool and aborts the uploads.
    func execute(
        run: RunIdentity?, job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        let named = job.destinations.map { (name: $0, config: config.destination(named: $0)) }
        let redactor = Redactor(
            secrets: EngineDrivers.secrets(of: job) + named.compactMap(\.config).flatMap {
                [$0.secretAccessKey] + ($0.sessionToken.map { [$0] } ?? [])
            }, job: job.name)
        var lanes: [Lane] = []
        func failed(_ message: String, exit: ProcessExit? = nil, stderr: String = "", interrupted: Bool = false, bytesRead: Int64? = nil) -> RunOutcome {
            var outcome = RunOutcome(
                status: interrupted ? .interrupted : .failed, endedAt: clock.now(), bytesRead: bytesRead,
                exitStatus: exit?.statusCode, stderrTail: stderr.isEmpty ? nil : redactor.redact(stderr),
                error: redactor.redact(message), uploadClosed: true)
            outcome.retries = Self.retries(of: lanes)
            outcome.destinations = failedLanes(named, lanes: lanes, error: redactor.redact(message), interrupted: interrupted, redactor: redactor)
            return outcome
        }
        if let missing = named.first(where: { $0.config == nil }) {
            return failed("job \(job.name): no destination named \(missing.name) in the config")
        }
        lanes = openLanes(named.compactMap(\.config), logger: logger)
        if !lanes.contains(where: \.alive) {
            return failed("job \(job.name): " + lanes.compactMap(\.error).joined(separator: "; "))
        }
        let secrets: SecretDirectory
        do {
            secrets = try SecretDirectory(parent: secretsParent)
        } catch {
            return failed("job \(job.name): \(error)")
        }
        defer { secrets.remove() }
        let context = EngineContext(
            job: job, secrets: secrets, launcher: launcher, baseEnvironment: EngineContext.baseEnvironment(from: environment))
        let driver = EngineDrivers.driver(for: job)
        let deadline = ContinuousClock.now + .nanoseconds(Self.nanoseconds(job.timeout))

        let toolVersion: String
        let serverVersion: String?
        let steps: [DumpStep]
        do {
            // The engine's tools answer on the bridge (they block on their pipes).
            let lent = BlockingBridge.Handoff(secrets)
            (toolVersion, serverVersion, steps) = try await BlockingBridge.shared.run { [compression = job.compression] in
                let versions = try driver.preflightVersions(context)
                let steps = try driver.dumpSteps(context, compressed: compression != .none).map { $0.inheriting(lent.value.descriptors) }
                return (versions.0, versions.1, steps)
            }
        } catch {
            if Task.isCancelled { return failed(EngineError.cancelled(job: job.name, reason: StopReason.text).description, interrupted: true) }
            return failed("\(error)")
        }
        if Task.isCancelled {
            return failed(EngineError.cancelled(job: job.name, reason: StopReason.text).description, interrupted: true)
        }
        logger.debug("dump starting", metadata: ["job.engine": "\(job.engine.rawValue)", "tool.version": "\(toolVersion)"])
        let expectedSize = await expectedSize(
            job: job, destinations: named.compactMap(\.config), driver: driver, context: context, redactor: redactor, logger: logger)

        var results: [StepResult] = []
        var totalRead: Int64 = 0
        let token = makeToken()
        if let refusal = await recordRunInClaim(job: job, startedAt: startedAt, token: token, logger: logger) { return failed(refusal) }
        for step in steps {
            do {
                let result = try await runStep(
                    step, job: job, lanes: &lanes, driver: driver, toolVersion: toolVersion, expectedSize: expectedSize,
                    startedAt: startedAt, token: token, runID: run?.runID, deadline: deadline, progress: progress, logger: logger)
                totalRead += result.bytesRead
                results.append(result)
            } catch let failure as StepFailure {
                var message = failure.error
                if !results.isEmpty, failure.checkFailed {
                    message += await removeStored(results, lanes: lanes, logger: logger)
                } else if let primary = results.first {
                    message += " (\(primary.receipt.key) was stored, but without a manifest the backup is incomplete)"
                }
                return failed(
                    message, exit: failure.exit, stderr: failure.stderr, interrupted: failure.interrupted,
                    bytesRead: totalRead + failure.bytesRead)
            } catch {
                return failed("job \(job.name): \(error)", bytesRead: totalRead)
            }
        }
        guard !results.isEmpty else {
            return failed("job \(job.name): the \(job.engine.rawValue) engine produced nothing to back up")
        }
        let suspicious = suspicion(job: job, totalRead: totalRead, logger: logger)
        await writeManifests(
            &lanes, run: run, job: job, startedAt: startedAt, token: token, toolVersion: toolVersion, serverVersion: serverVersion,
            results: results, suspicious: suspicious, logger: logger)
        let stderr = results.map(\.stderr).filter { !$0.isEmpty }.joined(separator: "\n")
        var result = outcome(lanes: lanes, job: job, results: results, totalRead: totalRead, stderr: stderr, redactor: redactor)
        if result.status != .failed { result.suspicious = suspicious }
        return result
    }

    /// Runs one tool into one object at every live destination at once. A destination whose upload
    /// fails drops out of `lanes` while the others carry on; the step fails only when the tool does
    /// or every destination did. Cancelling the task, or reaching `deadline` (the job's timeout),
    /// kills the tool and cancels the uploads, which abort.
    func runStep(
        _ step: DumpStep, job: JobConfig, lanes: inout [Lane], driver: any EngineDriver,
        toolVersion: String, expectedSize: Int64?, startedAt: Date, token: String, runID: Int64?, deadline: ContinuousClock.Instant,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async throws -> StepResult {
        let key = ObjectName.make(
            prefix: job.prefix, job: job.name, time: startedAt, token: token,
            suffix: step.suffix + job.compression.fileExtension + (job.encryption == nil ? "" : Self.encryptedSuffix))
        // age starts first: when it cannot run, the dump never starts and nothing is uploaded.
        let encryptor = try launchEncryptor(job: job)
        let process: any RunningProcess
        do {
            process = try step.launch(with: launcher)
        } catch ProcessError.notFound(let program, let path) {
            encryptor?.kill()
            throw StepFailure(
                error: EngineError.toolMissing(job: job.name, tool: program, package: program, path: path).description,
                exit: nil, stderr: "", interrupted: false, bytesRead: 0)
        } catch {
            encryptor?.kill()
            throw error
        }
        let killReason = KillSwitch()
        let live = lanes.indices.filter { lanes[$0].alive }

        let output = ProcessOutputSource(process)
        // The check reads the tool's own bytes, before compression and encryption.
        let checked = CheckedDumpSource(output, check: step.check, job: job.name, tool: step.tool)
        let compressed: any ByteSource
        do {
            compressed = job.compression == .none ? checked : CodecSource(checked, codec: try job.compression.makeCompressor(job.compressionOptions))
        } catch {
            process.kill()
            _ = await BlockingBridge.shared.runToCompletion { process.wait() }
            encryptor?.kill()
            throw StepFailure(error: "job \(job.name): \(error)", exit: nil, stderr: "", interrupted: false, bytesRead: 0)
        }
        let encryption = encryptor.map { AgeEncryptionSource(compressed, process: $0, job: job.name) }
        let source: any ByteSource = encryption ?? compressed
        var metadata = [
            "engine": job.engine.rawValue, "tool": step.tool, "tool-version": toolVersion,
            "compression": job.compression.rawValue, "job": job.name,
            "backup-id": ObjectName.backupID(job: job.name, time: startedAt, token: token),
        ]
        if let runID { metadata["run-id"] = String(runID) }
        if let settings = job.encryption { metadata.merge(Self.encryptionMetadata(settings)) { $1 } }
        var log = logger
        log[metadataKey: "s3.key"] = "\(key)"
        let upload = log
        // The stream is compressed and encrypted once, above; the tee hands the same bytes to every destination.
        let targets = live.map { index in
            let destination = lanes[index].destination
            let failed: @Sendable (any Error) -> Void = { error in
                // A drop-out of this destination alone; a cancelled or timed-out run ends them all, recorded with the run.
                guard killReason.withLock({ $0 == nil }) else { return }
                progress(RunProgress(destination: destination.name, failure: "upload of \(key) failed: \(error)"))
            }
            return FanOutUpload.Target(name: destination.name, store: lanes[index].store!, uploadFailed: failed) { uploadID in
                upload.debug("upload started", metadata: ["s3.upload_id": "\(uploadID)", "s3.destination": "\(destination.name)"])
                progress(RunProgress(uploadID: uploadID, destination: destination.name, bucket: destination.bucket, objectKey: key))
            }
        }
        var uploadFailures: [(destination: String, error: any Error)] = []
        do {
            let lent = BlockingBridge.Handoff(source)
            let results = await Self.stopping(process, reason: killReason, deadline: deadline) { [metadata] in
                await FanOutUpload().upload(key: key, from: lent.value, metadata: metadata, expectedSize: expectedSize, targets: targets)
            }
            var receipts: [String: StreamReceipt] = [:]
            for (target, result) in zip(targets, results) {
                switch result {
                case .success(let receipt): receipts[target.name] = receipt
                case .failure(let error): uploadFailures.append((target.name, error))
                }
            }
            if receipts.isEmpty, let first = uploadFailures.first { throw first.error }
            let exit = await BlockingBridge.shared.runToCompletion { process.wait() }
            let stderr = process.stderrTail()
            guard exit.succeeded else {
                // The source saw end of file and a clean exit; only a later kill can get here.
                throw StepFailure(error: "job \(job.name): \(step.tool) ended with \(exit)", exit: exit, stderr: stderr, interrupted: false, bytesRead: output.bytesRead)
            }
            for failure in uploadFailures {
                let index = lanes.firstIndex { $0.destination.name == failure.destination }!
                lanes[index].error = "upload of \(key) failed: \(failure.error)"
                log.info("destination dropped out, the others carry on", metadata: ["s3.destination": "\(failure.destination)", "s3.error": "\(failure.error)"])
            }
            let primary = targets.first { receipts[$0.name] != nil }!
            return StepResult(
                step: step, receipt: receipts[primary.name]!, receipts: receipts, bytesRead: output.bytesRead, exit: exit, stderr: stderr,
                baseBackup: checked.baseBackup)
        } catch let failure as StepFailure {
            throw failure
        } catch {
            // Whatever failed, the tool must not keep running (an upload failure leaves it blocked on a full pipe).
            process.kill()
            encryption?.stop()
            let exit = await BlockingBridge.shared.runToCompletion { process.wait() }
            let stderr = process.stderrTail()
            let message: String
            var interrupted = false
            switch killReason.withLock({ $0 }) {
            case .timeout?:
                message = EngineError.timedOut(job: job.name, timeout: DurationText.format(job.timeout)).description
            case .cancelled?:
                // Read now, not when cancelled: the canceller sets the reason, maybe just after cancelling.
                message = EngineError.cancelled(job: job.name, reason: StopReason.text).description
                interrupted = true
            case nil where error is ToolExitError:
                message = driver.failure(tool: step.tool, exit: exit, stderr: stderr, job: job.name).description
            case nil where error is EncryptionError || error is DumpCheckError:
                message = "\(error)"
            case nil where uploadFailures.count > 1:
                let each = uploadFailures.map { "\($0.destination): \($0.error)" }.joined(separator: "; ")
                message = "job \(job.name): upload of \(key) failed at every destination (\(each)); \(step.tool) was stopped"
            case nil:
                message = "job \(job.name): upload of \(key) to \(uploadFailures.first?.destination ?? lanes[live[0]].destination.name) failed: \(error); \(step.tool) was stopped"
            }
            throw StepFailure(
                error: message, exit: exit, stderr: stderr, interrupted: interrupted, bytesRead: output.bytesRead, checkFailed: error is DumpCheckError)
        }
    }
}
