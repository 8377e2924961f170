import ConfigKit
import Cron
import Foundation

/// One job's state as the bucket shows it to any host of the fleet (`backupd fleet`): its newest
/// backup, which host made it, whether its objects are all there, its age against the schedule,
/// and the slots of the last day that no host backed up. Computed from what was read; no I/O.
public struct FleetJobStatus: Sendable {
    /// Whether the job is ok.
    public enum State: String, Sendable {
        /// The newest backup is complete and recent enough, and no slot of the last day was missed.
        case ok
        /// The job is disabled.
        case disabled
        /// No backup of the job is in the bucket.
        case never
        /// The newest backup is older than its schedule allows.
        case overdue
        /// A slot of the last day has no backup (missed by every host).
        case missed
        /// The newest backup's manifest names objects that are missing or of another size.
        case incomplete

        /// Whether this state counts as ok for the exit status.
        public var isOK: Bool { self == .ok || self == .disabled }
    }

    /// The job's name.
    public var job: String
    /// The newest complete backup's manifest across the job's destinations (nil when there is none).
    public var newest: BackupManifest?
    /// The destination that holds `newest` (the first in the job's order when several hold it).
    public var newestDestination: String?
    /// When the newest complete backup at each destination read ended, by destination name (a
    /// destination without one is absent).
    public var newestByDestination: [String: Date] = [:]
    /// Whether every object the newest manifest names was listed with its size (nil without a backup).
    public var objectsPresent: Bool?
    /// When a newer backup was due (the second slot after the newest's, plus the job's timeout).
    public var freshUntil: Date?
    /// Slots of the last day (since the fleet first wrote for the job) with no backup on any of
    /// the job's destinations, oldest first.
    public var missedSlots: [Date]
    /// The verdict.
    public var state: State

    /// Whether the job is ok.
    public var isOK: Bool { state.isOK }

    /// The status of `job` from its `entries` (the catalog of its first destination) and `claims`, at `now`.
    public static func compute(job: JobConfig, entries: [CatalogEntry], claims: [ClaimRecord], now: Date) -> FleetJobStatus {
        compute(job: job, catalogs: [(job.destination, entries)], claims: claims, now: now)
    }

    /// The status of `job` from the catalogs of its destinations (in the job's order) and the
    /// claims of its first, at `now`: the newest backup on any destination (and which holds it),
    /// and as missed only the slots no destination has a backup of.
    public static func compute(
        job: JobConfig, catalogs: [(destination: String, entries: [CatalogEntry])], claims: [ClaimRecord], now: Date
    ) -> FleetJobStatus {
        let schedule = job.cronSchedule
        let tagged = catalogs.enumerated().flatMap { index, catalog in
            catalog.entries.filter { $0.isUsable && $0.manifest != nil }.map { (order: index, destination: catalog.destination, entry: $0) }
        }
        // Newest first; between copies of one time, the destination first in the job's order.
        let ordered = tagged.sorted { $0.entry.time != $1.entry.time ? $0.entry.time > $1.entry.time : $0.order < $1.order }
        let usable = ordered.map(\.entry)
        let newest = usable.first
        var byDestination: [String: Date] = [:]
        for item in ordered where byDestination[item.destination] == nil { byDestination[item.destination] = item.entry.manifest!.endedAt }
        let present = newest.map(Self.objectsPresent)
        let reference = newest.map { Self.slot(of: $0.manifest!, time: $0.time) }
        let freshUntil = reference.flatMap { reference -> Date? in
            guard let first = schedule.next(after: reference), let second = schedule.next(after: first) else { return nil }
            return second.addingTimeInterval(Double(job.timeout.components.seconds))
        }
        // The window starts a day ago, or when the fleet first wrote anything for the job.
        let known = usable.map(\.time) + claims.compactMap { Self.date(ofSlot: $0.slot) }
        let since = max(now.addingTimeInterval(-86_400), known.min() ?? now)
        let missed = Self.missedSlots(
            schedule: schedule, since: since, now: now, backedUp: usable.map { Self.slot(of: $0.manifest!, time: $0.time) },
            inProgress: Set(claims.filter { $0.state != .done }.map(\.slot)))
        let state: State
        if !job.enabled {
            state = .disabled
        } else if newest == nil {
            state = .never
        } else if present == false {
            state = .incomplete
        } else if let freshUntil, freshUntil < now {
            state = .overdue
        } else if !missed.isEmpty {
            state = .missed
        } else {
            state = .ok
        }
        return FleetJobStatus(
            job: job.name, newest: newest?.manifest, newestDestination: ordered.first?.destination, newestByDestination: byDestination,
            objectsPresent: present, freshUntil: freshUntil, missedSlots: missed, state: state)
    }

    /// Whether every piece the entry's manifest names was listed with the manifest's size.
    static func objectsPresent(_ entry: CatalogEntry) -> Bool {
        guard let manifest = entry.manifest else { return false }
        let listed = Dictionary(entry.objects.map { ($0.key, $0.size) }) { a, _ in a }
        return manifest.objects.allSatisfy { object in object.pieces.allSatisfy { listed[$0.key] == $0.size } }
    }

    /// The slot a backup is for: its claim's (a `runOn: "any"` backup), else its start time.
    static func slot(of manifest: BackupManifest, time: Date) -> Date {
        manifest.claim.flatMap { date(ofSlot: $0.slot) } ?? manifest.startedAt
    }

    /// The date of a slot text (`ClaimKey.slotText`).
    static func date(ofSlot text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.date(from: text)
    }

    /// Slots from `since` whose period ended by `now` and that no backup covers: a backup covers
    /// the latest slot at or before its own slot time; a claim not yet done is still in progress.
    static func missedSlots(schedule: any JobSchedule, since: Date, now: Date, backedUp: [Date], inProgress: Set<String>) -> [Date] {
        var slots: [Date] = []
        var cursor = since.addingTimeInterval(-1)
        while let next = schedule.next(after: cursor), next <= now, slots.count < 100_000 {
            slots.append(next)
            cursor = next
        }
        var covered = Set<Date>()
        for time in backedUp {
            if let slot = slots.last(where: { $0 <= time }) { covered.insert(slot) }
        }
        return slots.enumerated().compactMap { index, slot in
            let ended = index + 1 < slots.count
            guard ended, !covered.contains(slot), !inProgress.contains(ClaimKey.slotText(slot)) else { return nil }
            return slot
        }
    }
}
