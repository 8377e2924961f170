import ConfigKit

/// Why a WAL file could not be archived or fetched, in words an operator can act on.
public enum WALError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name is not one PostgreSQL archives.
    case badName(name: String)
    /// The job is not a PITR job (or does not exist).
    case notPITRJob(job: String)
    /// A different file is already archived under this name.
    case digestMismatch(job: String, name: String, key: String, stored: String, pushed: String)
    /// The file is not in the archive.
    case notFound(job: String, name: String)
    /// The stored object does not decode to what its name promises.
    case corrupt(key: String, detail: String)
    /// An encrypted WAL file needs the age identity.
    case identityRequired(key: String)
    /// The file to push could not be read.
    case unreadable(path: String, detail: String)
    /// The fetched file could not be written where PostgreSQL asked.
    case cannotWrite(path: String, detail: String)
    /// The daemon refused or failed the push.
    case refused(job: String, name: String, detail: String)
    /// No destination gave the file, and at least one could not say whether it has it (unreachable,
    /// a corrupt object, no identity): the archive is not known to end here.
    case fetchFailed(job: String, name: String, destination: String, detail: String)

    public var description: String {
        switch self {
        case .badName(let name):
            return "\(ConfigReader.quote(name)) is not a WAL file name PostgreSQL archives (a segment such as 000000010000000000000002, 00000002.history, or a .backup/.partial file)"
        case .notPITRJob(let job):
            return "job \(job) is not a PITR job of this config; add \"pitr\": {\"archiveUser\": \"postgres\"} to it (and reload the daemon)"
        case .digestMismatch(let job, let name, let key, let stored, let pushed):
            return "job \(job): \(name) is already archived at \(key) with different content (SHA-256 \(stored.prefix(16))…, this one \(pushed.prefix(16))…); two clusters may be archiving into the same place: give each its own job or prefix. Nothing was overwritten"
        case .notFound(let job, let name):
            return "job \(job): \(name) is not in the archive"
        case .corrupt(let key, let detail):
            return "\(key) does not hold a good WAL file: \(detail)"
        case .identityRequired(let key):
            return "\(key) is encrypted; pass the age identity file with --identity FILE"
        case .unreadable(let path, let detail):
            return "cannot read \(path): \(detail)"
        case .cannotWrite(let path, let detail):
            return "cannot write \(path): \(detail)"
        case .refused(let job, let name, let detail):
            return "job \(job): archiving \(name) failed: \(detail)"
        case .fetchFailed(let job, let name, let destination, let detail):
            return "job \(job): cannot fetch \(name) from destination \(destination): \(detail); recovery stops here instead of taking the archive as ending at this file (fix the cause and start the server again: it resumes recovery from its last restart point)"
        }
    }
}
