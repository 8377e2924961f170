import Foundation

/// The metric names `contrib/prometheus/backupd-alerts.yml` uses in its rules (comment lines left
/// out), so the tests of daemons with PITR or fleet jobs can check that each one is exported.
enum ContribAlertRules {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("contrib/prometheus/backupd-alerts.yml").path

    /// Every `backupd_…` name starting with `prefix` in the rules.
    static func metricNames(prefix: String) throws -> Set<String> {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var names = Set<String>()
        for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
            var rest = Substring(line)
            while let start = rest.range(of: prefix) {
                let name = rest[start.lowerBound...].prefix { $0.isLetter || $0 == "_" }
                // `backupd_fleet_*` in an annotation's prose names the family, not a metric.
                if !name.hasSuffix("_") { names.insert(String(name)) }
                rest = rest[start.upperBound...]
            }
        }
        return names
    }
}
