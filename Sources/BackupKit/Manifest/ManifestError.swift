/// Why a stored manifest cannot be used.
public enum ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// It is not JSON, or a field is missing or of the wrong type.
    case malformed(key: String, path: String, detail: String)
    /// A newer backupd wrote it.
    case unsupportedVersion(key: String, found: Int, supported: Int)

    public var description: String {
        switch self {
        case .malformed(let key, let path, let detail):
            let at = path.isEmpty ? "" : " at \(path)"
            return "manifest \(key) is unreadable\(at): \(detail); the backup counts as incomplete"
        case .unsupportedVersion(let key, let found, let supported):
            return "manifest \(key) has format version \(found); this backupd reads versions 1 to \(supported): upgrade backupd to use this backup"
        }
    }
}
