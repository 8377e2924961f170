/// Failures of a `BackupObjectStore` that are not the provider's own errors.
public enum ObjectStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An object that must be new already exists.
    case alreadyExists(key: String)
    /// This store cannot do what was asked.
    case unsupported(operation: String)

    public var description: String {
        switch self {
        case .alreadyExists(let key):
            return "\(key) already exists in the bucket; backupd never overwrites a backup (another run wrote the same name?)"
        case .unsupported(let operation):
            return "this object store does not support \(operation)"
        }
    }
}
