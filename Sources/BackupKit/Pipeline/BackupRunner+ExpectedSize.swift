import Logging

extension BackupRunner {
    /// The size that fixes equal parts (see `ExpectedSize` for the precedence). The engine is
    /// asked only where a destination needs equal parts and nothing else gave a size; a failed or
    /// slow estimate is logged and the parts start at `partSizeMiB` (continuing in segments).
    func expectedSize(
        job: JobConfig, destinations: [DestinationConfig], driver: any EngineDriver, context: EngineContext,
        redactor: Redactor, logger: Logger, timeout: Duration = EngineContext.estimateTimeout
    ) -> Int64? {
        let equalParts = destinations.contains { $0.providerProfile.equalParts }
        let resolved = ExpectedSize.resolve(explicit: job.expectedSize, history: { recentSize(job) }) {
            guard equalParts else { return nil }
            do {
                let estimate = try driver.estimatedSize(context, timeout: timeout)
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
