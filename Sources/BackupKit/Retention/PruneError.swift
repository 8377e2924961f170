/// Why a prune could not run; in every case nothing was deleted.
public enum PruneError: Error, Sendable, CustomStringConvertible {
    /// The job names a destination the config does not define.
    case noDestination(job: String, destination: String)
    /// The store cannot delete object by object.
    case storeCannotPrune(destination: String)
    /// Listing the job's objects failed or could not be completed.
    case listingFailed(job: String, prefix: String, reason: String)
    /// The history, prune's second witness, could not be read.
    case historyUnreadable(job: String, reason: String)
    /// The history could not say which backups are suspicious (and must be kept).
    case suspicionUnknown(job: String, reason: String)

    public var description: String {
        switch self {
        case .noDestination(let job, let destination):
            return "job \(job) names destination \(destination), which is not configured; nothing was deleted"
        case .storeCannotPrune(let destination):
            return "the store of destination \(destination) cannot delete objects; nothing was deleted"
        case .listingFailed(let job, let prefix, let reason):
            return "cannot list the backups of \(job) under \(prefix) (\(reason)); nothing was deleted, prune runs again after the next backup"
        case .historyUnreadable(let job, let reason):
            return "cannot read the history of \(job) to check the listing against it (\(reason)); nothing was deleted, prune runs again after the next backup"
        case .suspicionUnknown(let job, let reason):
            return "cannot read which backups of \(job) are suspicious from the history (\(reason)); nothing was deleted, since a suspicious backup must never displace a good one"
        }
    }
}
