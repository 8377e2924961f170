import Synchronization

/// WAL segments `wal-push` sent ahead: while PostgreSQL waits for segment N, `wal-push` also hands
/// the daemon the next segment waiting in `pg_wal/archive_status`, which the daemon stores at once,
/// so that when PostgreSQL asks for it the work is done or under way (as pgBackRest's
/// `archive-async` does, without a spool directory: the bytes go straight to the bucket).
///
/// What this keeps is only where to look: the store in flight or its outcome (the digest stored at
/// every destination, or nil). The real push of the segment still sends its bytes, and it is
/// answered "stored" only when their digest is that one **and** a HEAD at every destination finds
/// the object with that digest recorded; anything else goes the ordinary way (a conditional PUT).
public final class WALAheadStores: Sendable {
    /// At most this many segments are held (in flight or done) at a time, per daemon.
    public static let limit = 4

    private struct Entry {
        var key: String
        var store: Task<String?, Never>
    }
    private let entries = Mutex<[Entry]>([])

    /// An empty registry.
    public init() {}

    /// Starts `store` for (`job`, `name`) unless that segment is already held; with `limit`
    /// segments held, the oldest is forgotten (its store still runs to its end, and its push goes
    /// the ordinary way). Returns the task to wait for, or nil when nothing was started.
    func begin(job: String, name: String, _ store: @escaping @Sendable () async -> String?) -> Task<String?, Never>? {
        let key = Self.key(job: job, name: name)
        return entries.withLock { held -> Task<String?, Never>? in
            guard !held.contains(where: { $0.key == key }) else { return nil }
            if held.count >= Self.limit { held.removeFirst() }
            let task = Task { await store() }
            held.append(Entry(key: key, store: task))
            return task
        }
    }

    /// The store of (`job`, `name`) sent ahead, taken out of the registry; nil when there is none.
    func take(job: String, name: String) -> Task<String?, Never>? {
        let key = Self.key(job: job, name: name)
        return entries.withLock { held in
            guard let index = held.firstIndex(where: { $0.key == key }) else { return nil }
            return held.remove(at: index).store
        }
    }

    /// How many segments are held.
    var count: Int { entries.withLock { $0.count } }

    private static func key(job: String, name: String) -> String { job + "\u{0}" + name }
}
