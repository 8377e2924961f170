import BackupCore
import Foundation

/// What loading a config may read besides the file itself: environment variables and secret files.
/// A seam so that tests can give their own environment without touching the process's.
public struct ConfigSources: Sendable {
    /// The largest config file read (a bigger one, or `/dev/zero`, is refused rather than read).
    public static let maxConfigFileSize = 16 * 1024 * 1024
    /// The largest `{"file": PATH}` secret read.
    public static let maxSecretFileSize = 64 * 1024
    /// The largest `caFile` accepted.
    public static let maxCAFileSize = 16 * 1024 * 1024

    /// Environment variables for `{"env": NAME}` secrets.
    public var environment: [String: String]
    /// Reads a whole regular file of at most `limit` bytes (the config or a `{"file": PATH}`
    /// secret); throws `FileReadError` for a FIFO, a device, a directory or a larger file.
    public var readFile: @Sendable (_ path: String, _ limit: Int) throws -> [UInt8]
    /// The permission bits of a file, or nil when they cannot be read.
    public var permissions: @Sendable (String) -> Int?
    /// Why a file (a `caFile`) cannot be used as a readable regular file of at most `limit`
    /// bytes, or nil when it can.
    public var checkFile: @Sendable (_ path: String, _ limit: Int) -> FileReadError?
    /// The machine's hostname, the default `hostId` (nil when unknown; tests set their own).
    public var hostName: @Sendable () -> String? = { nil }

    /// Creates sources from closures.
    public init(
        environment: [String: String],
        readFile: @escaping @Sendable (_ path: String, _ limit: Int) throws -> [UInt8],
        permissions: @escaping @Sendable (String) -> Int?,
        checkFile: @escaping @Sendable (_ path: String, _ limit: Int) -> FileReadError?
    ) {
        self.environment = environment
        self.readFile = readFile
        self.permissions = permissions
        self.checkFile = checkFile
    }

    /// Sources over in-memory files (tests): `readFile` returns a whole file, whose size is then
    /// held to the limit; `isReadable` says which files a `caFile` may name.
    public init(
        environment: [String: String],
        readFile: @escaping @Sendable (String) throws -> [UInt8],
        permissions: @escaping @Sendable (String) -> Int?,
        isReadable: @escaping @Sendable (String) -> Bool
    ) {
        self.init(
            environment: environment,
            readFile: { path, limit in
                let bytes = try readFile(path)
                guard bytes.count <= limit else { throw FileReadError.tooLarge(path: path, limit: limit) }
                return bytes
            },
            permissions: permissions,
            checkFile: { path, _ in isReadable(path) ? nil : .system(path: path, errno: EACCES) })
    }

    /// The process's environment and the real file system, read through `RegularFileReader`.
    public static var live: ConfigSources {
        var sources = ConfigSources(
            environment: ProcessInfo.processInfo.environment,
            readFile: { path, limit in try RegularFileReader.read(path, limit: limit) },
            permissions: { path in
                var info = stat()
                guard stat(path, &info) == 0 else { return nil }
                return Int(info.st_mode & 0o7777)
            },
            checkFile: { path, limit in
                do throws(FileReadError) {
                    try RegularFileReader.check(path, limit: limit)
                    return nil
                } catch {
                    return error
                }
            })
        sources.hostName = {
            // The kernel's name (what `hostname` prints), not a DNS lookup of it.
            var buffer = [CChar](repeating: 0, count: 256)
            guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return sources
    }
}

/// Describes a failed file read without Foundation's long NSError text.
func describeFileError(_ error: Error) -> String {
    if let read = error as? FileReadError { return read.reason }
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
