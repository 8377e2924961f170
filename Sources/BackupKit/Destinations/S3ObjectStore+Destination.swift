import BackupCore
import ConfigKit
import Logging
import S3Kit

extension S3ObjectStore {
    /// A store for a configured destination over libcurl.
    public convenience init(destination: DestinationConfig, logger: Logger, abortLedger: (any PendingAbortLedger)? = nil) {
        var log = logger
        log[metadataKey: "s3.destination"] = "\(destination.name)"
        self.init(
            client: S3Client(destination: destination, logger: log),
            plan: PartSizePlan(firstPartSize: destination.partSize, maxParts: destination.maxParts),
            partsInFlight: destination.partsInFlight, logger: log, profile: destination.providerProfile,
            abortLedger: abortLedger.map { ($0, destination.name) })
    }
}
