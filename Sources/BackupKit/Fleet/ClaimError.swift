/// Why a host does not (or no longer) hold a slot's claim, or why the claim could not be handled.
public enum ClaimError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another host holds a live claim on the slot (or finished it): this host does nothing.
    case claimedBy(host: String, job: String, slot: String)
    /// This host's claim was taken over (its renewal or re-validation got 412): no manifest.
    case lostClaim(to: String, job: String, slot: String)
    /// A claim object that cannot be read as one.
    case malformed(key: String, detail: String)
    /// The provider's answer had no `Date` header, and leases are computed only from the server's clock.
    case noServerDate(key: String)
    /// Another host kept changing the claim while this one tried to decide.
    case contended(key: String, attempts: Int)

    public var description: String {
        switch self {
        case .claimedBy(let host, let job, let slot):
            return "slot \(slot) of job \(job) is claimed by \(host); this host does not run it"
        case .lostClaim(let host, let job, let slot):
            return "the run of job \(job) for slot \(slot) lost its claim to \(host) (its lease ran out and that host took over); no manifest was written"
        case .malformed(let key, let detail):
            return "claim object \(key) is unreadable: \(detail); delete it only if no host is running that slot"
        case .noServerDate(let key):
            return "the object store sent no Date header for \(key); claims need the server's clock (use a provider that sends Date, or runOn \"this\")"
        case .contended(let key, let attempts):
            return "claim \(key) changed under this host \(attempts) times in a row; another host is racing for it (will retry next slot)"
        }
    }
}
