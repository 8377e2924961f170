import Glibc

/// Why a secret for a child process could not be prepared.
public enum SecretDirectoryError: Error, Sendable, CustomStringConvertible {
    /// mkdtemp failed (the fallback directory).
    case cannotCreate(parent: String, errno: Int32)
    /// A file could not be written (the fallback directory).
    case cannotWrite(path: String, errno: Int32)
    /// A memory file could not be made or filled.
    case cannotCreateInMemory(name: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotCreate(let parent, let code):
            return "cannot create a private directory for credentials in \(parent): \(String(cString: strerror(code))); make it writable or set TMPDIR"
        case .cannotWrite(let path, let code):
            return "cannot write the credentials file \(path): \(String(cString: strerror(code)))"
        case .cannotCreateInMemory(let name, let code):
            return "cannot keep the credentials (\(name)) in a memory file: \(String(cString: strerror(code))); "
                + "check that memfd_create is allowed (systemd SystemCallFilter=@system-service allows it) and memory is available"
        }
    }
}
