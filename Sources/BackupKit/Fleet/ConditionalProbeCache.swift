import ConfigKit
import Foundation
import Logging
import S3Kit
import Synchronization

/// What the daemon learnt by probing a `probeFirst` destination's conditional writes (as `check`
/// does) before the first claim there: probed once per destination and prefix for the process.
public final class ConditionalProbeCache: Sendable {
    /// Probes a destination; returns why it is unsafe for claims, nil when every step passed.
    public typealias Probe = @Sendable (DestinationConfig, _ key: String, Logger) async -> String?

    private let probe: Probe
    private let results = Mutex<[String: String?]>([:])

    /// A cache over `probe`.
    public init(probe: @escaping Probe) {
        self.probe = probe
    }

    /// The live probe: `ConditionalWriteProbe` over S3 on a key of its own under the claims' folder.
    public static func live() -> ConditionalProbeCache {
        ConditionalProbeCache { destination, key, logger in
            let result = await ConditionalWriteProbe(client: S3Client(destination: destination, logger: logger), key: key, required: true).run()
            guard !result.passed else { return nil }
            return result.steps.compactMap { step -> String? in
                switch step.outcome {
                case .failed(let text), .warning(let text): return "\(step.name): \(text)"
                default: return nil
                }
            }.joined(separator: "; ")
        }
    }

    /// Why claims are unsafe on `destination` under `folder` (nil: safe or documented), probing once.
    func unsafeReason(_ destination: DestinationConfig, folder: String, logger: Logger) async -> String? {
        guard case .probeFirst = destination.provider.conditionalWrites else { return nil }
        let id = destination.name + "\u{0}" + folder
        if let known = results.withLock({ $0[id] }) { return known }
        let reason = await probe(destination, folder + "probe-\(ObjectName.randomToken()).json", logger)
        results.withLock { $0[id] = .some(reason) }
        if let reason {
            logger.critical(
                "destination failed the conditional-write probe; runOn any jobs there do not run",
                metadata: ["s3.destination": "\(destination.name)", "probe.reason": "\(reason)"])
        }
        return reason
    }
}
