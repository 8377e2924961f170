/// Failures of a `BackupObjectStore` that are not the provider's own errors.
public enum ObjectStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An object that must be new already exists.
    case alreadyExists(key: String)
    /// This store cannot do what was asked.
    case unsupported(operation: String)
    /// A conditional write or delete (`If-Match`) found another version than the one it named (412).
    case preconditionFailed(key: String)

    public var description: String {
        switch self {
        case .alreadyExists(let key):
            return "\(key) already exists in the bucket; backupd never overwrites a backup (another run wrote the same name?)"
        case .unsupported(let operation):
            return "this object store does not support \(operation)"
        case .preconditionFailed(let key):
            return "\(key) changed since it was read (the store answered 412 Precondition Failed); read it again before deciding"
        }
    }
}
