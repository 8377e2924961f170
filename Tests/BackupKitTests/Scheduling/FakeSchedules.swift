import BackupKit
import Foundation
import Synchronization

/// Fires every `interval` seconds on multiples of `interval` since the epoch.
struct Every: JobSchedule {
    var interval: TimeInterval

    init(_ interval: TimeInterval) { self.interval = interval }

    func next(after date: Date) -> Date? {
        let k = (date.timeIntervalSince1970 / interval).rounded(.down) + 1
        return Date(timeIntervalSince1970: k * interval)
    }
}

/// Fires at the given instants only, then never again.
struct At: JobSchedule {
    var dates: [Date]

    func next(after date: Date) -> Date? { dates.sorted().first { $0 > date } }
}

/// A broken schedule that answers the very instant it is given.
struct Stuck: JobSchedule {
    func next(after date: Date) -> Date? { date }
}

/// Wraps a schedule and counts the calls to `next(after:)`.
final class Counting: JobSchedule {
    let inner: any JobSchedule
    private let calls = Atomic<Int>(0)

    init(_ inner: any JobSchedule) { self.inner = inner }

    var count: Int { calls.load(ordering: .relaxed) }

    func next(after date: Date) -> Date? {
        calls.add(1, ordering: .relaxed)
        return inner.next(after: date)
    }
}

/// 2023-11-14T23:00:00Z, a whole hour (a multiple of every interval the tests use).
let t0 = Date(timeIntervalSince1970: 1_700_002_800)
