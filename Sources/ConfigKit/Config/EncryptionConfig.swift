/// Client-side encryption of a job's stream with age, before it leaves the machine.
public struct EncryptionConfig: Sendable {
    /// age recipients (`age1...`) or SSH public keys (`ssh-ed25519 ...`, `ssh-rsa ...`), each validated.
    public var ageRecipients: [String]

    /// Describes the encryption.
    public init(ageRecipients: [String]) {
        self.ageRecipients = ageRecipients
    }
}
