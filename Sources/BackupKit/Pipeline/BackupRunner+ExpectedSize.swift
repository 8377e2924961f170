import BackupCore
import BackupEngines
import ConfigKit
import Logging

extension BackupRunner {
    /// The size that fixes equal parts (see `ExpectedSize` for the precedence). The engine is
    /// asked only where a destination needs equal parts and nothing else gave a size; a failed or
    /// slow estimate is logged and the parts start at `partSizeMiB` (continuing in segments).
    func expectedSize(
        job: JobConfig, destinations: [DestinationConfig], driver: any EngineDriver, context: EngineContext,
        redactor: Redactor, logger: Logger, timeout: Duration = EngineContext.estimateTimeout
    ) async -> Int64? {
        let equalParts = destinations.contains { $0.providerProfile.equalParts }
        // The engine's estimate blocks on its tool or connection: asked on the bridge, and only when needed.
        let recent = recentSize(job)
        var estimated: Result<Int64?, any Error>?
        if equalParts, (job.expectedSize ?? 0) <= 0, (recent ?? 0) <= 0 {
            do {
                estimated = .success(try await BlockingBridge.shared.run { try driver.estimatedSize(context, timeout: timeout) })
            } catch {
                estimated = .failure(error)
            }
        }
        let resolved = ExpectedSize.resolve(explicit: job.expectedSize, history: { recent }) {
            guard equalParts, let estimated else { return nil }
            do {
                let estimate = try estimated.get()
                if estimate == nil { logger.info("the engine gave no size estimate; equal parts start at partSizeMiB") }
                return estimate
            } catch {
                logger.info(
                    "size estimate failed; equal parts start at partSizeMiB", metadata: ["error": "\(redactor.redact("\(error)"))"])
                return nil
            }
        }
        if let resolved {
            logger.debug("expected size", metadata: ["size.bytes": "\(resolved.bytes)", "size.source": "\(resolved.source.rawValue)"])
        }
        return resolved?.bytes
    }
}
