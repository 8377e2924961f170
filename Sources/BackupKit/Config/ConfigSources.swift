import Foundation

/// What loading a config may read besides the file itself: environment variables and secret files.
/// A seam so that tests can give their own environment without touching the process's.
public struct ConfigSources: Sendable {
    /// Environment variables for `{"env": NAME}` secrets.
    public var environment: [String: String]
    /// Reads a whole file (the config or a `{"file": PATH}` secret).
    public var readFile: @Sendable (String) throws -> [UInt8]
    /// The permission bits of a file, or nil when they cannot be read.
    public var permissions: @Sendable (String) -> Int?
    /// Whether a file can be opened for reading (for `caFile`).
    public var isReadable: @Sendable (String) -> Bool

    /// Creates sources from closures.
    public init(
        environment: [String: String],
        readFile: @escaping @Sendable (String) throws -> [UInt8],
        permissions: @escaping @Sendable (String) -> Int?,
        isReadable: @escaping @Sendable (String) -> Bool
    ) {
        self.environment = environment
        self.readFile = readFile
        self.permissions = permissions
        self.isReadable = isReadable
    }

    /// The process's environment and the real file system.
    public static var live: ConfigSources {
        ConfigSources(
            environment: ProcessInfo.processInfo.environment,
            readFile: { path in
                let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
                defer { try? handle.close() }
                return Array(try handle.readToEnd() ?? Data())
            },
            permissions: { path in
                var info = stat()
                guard stat(path, &info) == 0 else { return nil }
                return Int(info.st_mode & 0o7777)
            },
            isReadable: { path in access(path, R_OK) == 0 })
    }
}

/// Describes a failed file read without Foundation's long NSError text.
func describeFileError(_ error: Error) -> String {
    if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    switch ns.code {
    case NSFileReadNoSuchFileError: return "No such file or directory"
    case NSFileReadNoPermissionError: return "Permission denied"
    default: return ns.localizedDescription
    }
}
