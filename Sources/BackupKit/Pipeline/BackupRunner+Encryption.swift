import BackupCore
import BackupEngines
import ConfigKit

/// The age stage of a backup: starting it, the object-name suffix and the metadata recording it.
extension BackupRunner {
    /// What an encrypted object's name gains after its compression suffix.
    public static let encryptedSuffix = ".age"

    /// Starts age for the job's recipients, or nil when the job is not encrypted.
    func launchEncryptor(job: JobConfig) throws -> (any RunningProcess)? {
        guard let settings = job.encryption else { return nil }
        do {
            return try AgeEncryptionSource.launch(
                recipients: settings.ageRecipients, job: job.name, launcher: launcher,
                environment: EngineContext.baseEnvironment(from: environment))
        } catch {
            throw StepFailure(error: "\(error)", exit: nil, stderr: "", interrupted: false, bytesRead: 0)
        }
    }

    /// Object metadata recording the encryption: the tool, how many recipients and their
    /// fingerprints (`AgeRecipient.fingerprint`), never the keys themselves.
    static func encryptionMetadata(_ settings: EncryptionConfig) -> [String: String] {
        [
            "encryption": "age", "age-recipients": "\(settings.ageRecipients.count)",
            "age-fingerprints": settings.ageRecipients.map(AgeRecipient.fingerprint).joined(separator: ","),
        ]
    }
}
