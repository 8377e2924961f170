/// Why encryption or decryption with age could not be done. Encryption fails closed: any of
/// these ends the backup before anything unencrypted is stored.
public enum EncryptionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `age` program is not on PATH.
    case toolMissing(job: String, path: String)
    /// age could not be started.
    case cannotStart(job: String, detail: String)
    /// The `age` program is not on PATH for a restore.
    case decryptToolMissing(key: String, path: String)
    /// age ended badly while encrypting.
    case stageFailed(job: String, exit: String, stderr: String)
    /// The object is encrypted and no identity was given.
    case identityRequired(job: String, key: String)
    /// The identity file cannot be read (missing, unreadable, or not a regular file: a FIFO would block age).
    case identityUnreadable(path: String, reason: String)
    /// age could not decrypt (wrong identity, damaged object).
    case decryptFailed(key: String, exit: String, stderr: String)

    public var description: String {
        switch self {
        case .toolMissing(let job, let path):
            return "job \(job): encryption is configured but the age program is not installed (not found on PATH \(path)); install it (apt install age). Nothing was uploaded"
        case .decryptToolMissing(let key, let path):
            return "\(key) is encrypted with age, which is not installed (not found on PATH \(path)); install it (apt install age)"
        case .cannotStart(let job, let detail):
            return "job \(job): cannot start age to encrypt the backup: \(detail). Nothing was uploaded"
        case .stageFailed(let job, let exit, let stderr):
            let detail = Self.reason(stderr)
            return "job \(job): the age encryption stage ended with \(exit)\(detail.isEmpty ? "" : " (\(detail))"); the upload was aborted and nothing unencrypted was stored"
        case .identityRequired(let job, let key):
            return "job \(job): \(key) is encrypted with age; pass the identity (private key) file with --identity FILE"
        case .identityUnreadable(let path, let reason):
            return "cannot read the age identity file \(path): \(reason); give a readable regular file made by age-keygen (or an SSH private key)"
        case .decryptFailed(let key, let exit, let stderr):
            let detail = Self.reason(stderr)
            return "cannot decrypt \(key): age ended with \(exit)\(detail.isEmpty ? "" : " (\(detail))"); check that --identity matches one of the backup's recipients"
        }
    }

    /// age's own error line ("age: error: ..."), which it follows with a line asking for bug
    /// reports; else the last line.
    static func reason(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.first { $0.contains("error:") } ?? lines.last ?? ""
    }
}
