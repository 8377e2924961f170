import ConfigKit
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

    /// Under a claim, records the run's backup id in it before the first upload, so a host that
    /// takes the slot over after this one dies can abort the uploads it left open (every object of
    /// the run starts with that id). Gives the reason to upload nothing when the claim was lost;
    /// a claim that could not be written for another reason is logged and the run goes on (the
    /// fence still guards its manifest).
    func recordRunInClaim(job: JobConfig, startedAt: Date, token: String, logger: Logger) async -> String? {
        guard let fence = ClaimFence.current else { return nil }
        let backupId = ObjectName.backupID(job: job.name, time: startedAt, token: token)
        do {
            try await fence.begin(backupId: backupId)
            return nil
        } catch let error as ClaimError {
            if case .lostClaim = error { return "\(error.description); nothing was uploaded" }
            logger.warning("could not record the run in its claim", metadata: ["claim.slot": "\(fence.record.slot)", "claim.error": "\(error)"])
        } catch {
            logger.warning("could not record the run in its claim", metadata: ["claim.slot": "\(fence.record.slot)", "claim.error": "\(error)"])
        }
        return nil
    }
}
