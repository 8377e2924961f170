import Foundation
import Logging

extension BackupRunner {
    /// Under a claim (`ClaimFence.current`, a `runOn: "any"` run) moves it to `completing` before
    /// any manifest: the manifest then records the claim; a lost claim, or one that could not be
    /// re-validated, gives the reason no manifest may be written. Without a claim: neither.
    func revalidateClaim(logger: Logger) async -> (claim: ManifestClaim?, refusal: String?) {
        guard let fence = ClaimFence.current else { return (nil, nil) }
        do {
            let record = try await fence.complete()
            logger.debug("claim re-validated before the manifest", metadata: ["claim.slot": "\(record.slot)", "claim.fencing": "\(record.fencing)"])
            return (ManifestClaim(hostId: record.hostId, slot: record.slot, fencing: record.fencing), nil)
        } catch let error as ClaimError {
            return (nil, "\(error.description); the uploaded objects were removed")
        } catch {
            return (nil, "the claim on slot \(fence.record.slot) could not be re-validated before the manifest (\(error)); no manifest was written and the uploaded objects were removed")
        }
    }
}
