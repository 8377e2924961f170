import Foundation

/// The WAL chain of a PITR job's base backups, checked from one full listing of the archive:
/// every segment from a base backup's start segment to the newest archived segment of its
/// timeline must be there, and every later timeline that has segments needs its `.history` file
/// and no gap between its first and newest segment. A gap is named (`missing 00000001000000000000002A`)
/// and shortens what can be recovered from that base backup: replay stops before the gap.
public struct WALChain: Sendable {
    /// What the chain says of one base backup.
    public struct Result: Sendable, Hashable {
        /// The base backup.
        public var base: WALRetentionPlan.KeptBase
        /// Missing WAL files, oldest first (segments, and `.history` files of later timelines).
        public var missing: [String]
        /// The last segment replay from this base backup reaches without a gap (nil: not even its start).
        public var reachesSegment: String?
        /// The newest segment archived on the base backup's timeline.
        public var newestSegment: String?
        /// The segment the base backup ends in (replay must reach it for the backup to be usable).
        public var stopSegment: String

        /// Whether every WAL file from the start to the newest is there.
        public var isComplete: Bool { missing.isEmpty }

        /// Whether replay reaches the base backup's end (so it restores at all).
        public var reachesConsistency: Bool {
            guard let reachesSegment else { return false }
            return reachesSegment >= stopSegment
        }

        /// One line for `verify`.
        public func render(zone: (Date) -> String) -> String {
            let head = "WAL chain of base backup \(base.id) (from \(base.info.startWALFile))"
            if missing.isEmpty {
                return "\(head): complete to \(newestSegment ?? "?"); can restore to any point from \(zone(base.endedAt)) to the newest archived WAL"
            }
            let gap = "missing " + missing.prefix(10).joined(separator: ", missing ") + (missing.count > 10 ? " (and \(missing.count - 10) more)" : "")
            guard reachesConsistency, let reachesSegment else {
                return "\(head): \(gap); this base backup cannot be restored (replay cannot reach its end in \(stopSegment))"
            }
            let end = LSN(((WALFileName(reachesSegment)?.segmentNumber ?? 0) + 1) * LSN.segmentSize)
            return "\(head): \(gap); recovery from it now reaches only \(end) (the end of \(reachesSegment)), no longer the newest archived WAL \(newestSegment ?? "?")"
        }
    }

    /// Checks the chain of each of `bases` in `listing`. Pure.
    public static func check(listing: WALListing, bases: [WALRetentionPlan.KeptBase]) -> [Result] {
        let segments = listing.segmentsByTimeline
        let histories = Set(listing.files.filter { $0.name.kind == .history }.map(\.name.timeline))
        return bases.map { base in
            let timeline = base.info.timeline
            let start = WALFileName(base.info.startWALFile)?.segmentNumber ?? base.info.startLSN.value / LSN.segmentSize
            let stop = base.info.stopLSN.value / LSN.segmentSize
            let own = segments[timeline] ?? []
            let newest = max(own.max() ?? start, stop)
            var missing: [String] = []
            var reaches: UInt64?
            var number = start
            while number <= newest {
                if own.contains(number) {
                    if missing.isEmpty { reaches = number }
                } else {
                    missing.append(WALFileName.segmentName(timeline: timeline, number: number))
                }
                number += 1
            }
            for later in segments.keys.sorted() where later > timeline {
                if !histories.contains(later) { missing.append(LSN.hex8(UInt64(later)) + ".history") }
                let present = segments[later] ?? []
                guard let first = present.min(), let last = present.max() else { continue }
                for number in first...last where !present.contains(number) {
                    missing.append(WALFileName.segmentName(timeline: later, number: number))
                }
            }
            return Result(
                base: base, missing: missing, reachesSegment: reaches.map { WALFileName.segmentName(timeline: timeline, number: $0) },
                newestSegment: own.max().map { WALFileName.segmentName(timeline: timeline, number: $0) },
                stopSegment: WALFileName.segmentName(timeline: base.info.stopTimeline, number: stop))
        }
    }
}
