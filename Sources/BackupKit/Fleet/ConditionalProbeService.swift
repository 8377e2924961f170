import ConfigKit
import Logging
import S3Kit
import ServiceLifecycle

/// Probes, once as the daemon starts, the conditional writes of the destination that keeps each
/// enabled `runOn: "any"` job's claims (its first) when that destination's provider profile is
/// `generic` ("probe first"), as `backupd check` does, so an unsafe provider is named in the
/// journal at start, not only at the job's first slot. A job whose destination fails is refused:
/// an error line names the job, the destination and the failed step, and each of its slots is
/// recorded as a failed run with that reason (by the slot claimer, from the same cached result)
/// until the daemon restarts against a provider that passes. Ends once every job is probed.
public struct ConditionalProbeService: Service {
    /// The config in force at start.
    public let config: @Sendable () -> BackupConfig
    /// The probe results the slot and task claimers share.
    public let probes: ConditionalProbeCache?
    /// Where refusals are reported.
    public let logger: Logger

    /// A one-shot probe of `config`'s `runOn: "any"` jobs through `probes` (nil: nothing to probe).
    public init(config: @escaping @Sendable () -> BackupConfig, probes: ConditionalProbeCache?, logger: Logger) {
        self.config = config
        self.probes = probes
        self.logger = logger
    }

    public func run() async throws {
        guard let probes else { return }
        _ = await Self.probe(config: config(), probes: probes, logger: logger)
    }

    /// Probes each enabled `runOn: "any"` job's claims destination when its profile says "probe
    /// first"; returns the refused jobs with their reason, by job name.
    static func probe(config: BackupConfig, probes: ConditionalProbeCache, logger: Logger) async -> [String: String] {
        var refused: [String: String] = [:]
        for job in config.jobs where job.enabled && job.runOn == .any {
            guard let first = job.destinations.first, let destination = config.destination(named: first),
                case .probeFirst = destination.provider.conditionalWrites
            else { continue }
            var log = logger
            log[metadataKey: "job.name"] = "\(job.name)"
            log[metadataKey: "s3.destination"] = "\(destination.name)"
            if let reason = await probes.unsafeReason(destination, folder: ClaimKey.folder(prefix: job.prefix, job: job.name), logger: log) {
                refused[job.name] = reason
                log.error(
                    """
                    runOn any job \(job.name) refused: destination \(destination.name) failed the conditional-write probe (\(reason)); \
                    each of its slots is recorded as failed until backupd restarts with a provider that passes (or set runOn "this")
                    """,
                    metadata: ["probe.reason": "\(reason)"])
            } else {
                log.info("conditional-write probe passed: claims are atomic here")
            }
        }
        return refused
    }
}
