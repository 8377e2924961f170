import Foundation

/// Where a point-in-time restore stops: a time, an LSN, or the end of the archive.
public enum RecoveryTarget: Sendable, Hashable {
    /// Replay up to and including this instant.
    case time(Date)
    /// Replay up to and including this WAL position.
    case lsn(LSN)
    /// Replay everything archived.
    case latest

    /// Parses `--time` text: `2026-12-06 12:00:00+01:00`, ISO 8601 with `T`, optional fractions,
    /// `Z` or an offset. A time without a zone is refused (the server's zone would be a guess).
    public static func parseTime(_ text: String) -> Date? {
        let normalized = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "T")
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: normalized) { return date }
        }
        // PostgreSQL style offsets without minutes (`+01`).
        if normalized.range(of: #"[+-]\d\d$"#, options: .regularExpression) != nil {
            return parseTime(normalized + ":00")
        }
        return nil
    }

    /// The settings of `postgresql.auto.conf` that stop recovery here (none for `latest`).
    public var settings: [(String, String)] {
        switch self {
        case .time(let date):
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
            return [("recovery_target_time", formatter.string(from: date) + "+00"), ("recovery_target_action", "promote")]
        case .lsn(let lsn):
            return [("recovery_target_lsn", lsn.description), ("recovery_target_action", "promote")]
        case .latest:
            return []
        }
    }
}
