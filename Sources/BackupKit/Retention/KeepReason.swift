import ConfigKit

/// Why a backup survives a prune: the rule(s) that keep it.
public indirect enum KeepReason: Sendable, Hashable, CustomStringConvertible {
    /// The job has no retention policy: every backup is kept.
    case noPolicy
    /// One of the `keepLast` newest.
    case last
    /// The newest of its hour (`keepHourly`).
    case hourly
    /// The newest of its day (`keepDaily`).
    case daily
    /// The newest of its ISO week (`keepWeekly`).
    case weekly
    /// The newest of its month (`keepMonthly`).
    case monthly
    /// The newest of its year (`keepYearly`).
    case yearly
    /// Taken within `keepWithin` before the newest backup.
    case within(RetentionWindow)
    /// The newest complete backup, which prune never deletes.
    case newest
    /// The oldest backup, kept by a counting rule that still had counts left (restic's "oldest").
    case oldest(KeepReason)
    /// Suspiciously small and not acknowledged: kept as an extra, counted by no rule.
    case suspicious

    public var description: String {
        switch self {
        case .noPolicy: return "no policy"
        case .last: return "last"
        case .hourly: return "hourly"
        case .daily: return "daily"
        case .weekly: return "weekly"
        case .monthly: return "monthly"
        case .yearly: return "yearly"
        case .within(let window): return "within \(window)"
        case .newest: return "newest"
        case .oldest(let rule): return "oldest \(rule)"
        case .suspicious: return "suspicious"
        }
    }
}
