import Foundation

extension TransferProgress {
    /// The status line: `restoring 12.0 MiB of 40.0 MiB (30%), 4.0 MiB/s, 0:03 elapsed, about 0:07 left`.
    /// `done` counts the current item, `moved` every byte (for the rate).
    static func line(label: String, done: Int64, moved: Int64, total: Total?, elapsed: Double) -> String {
        var text = "\(label) \(size(done))"
        let rate = elapsed > 0 ? Double(moved) / elapsed : 0
        var left: Double?
        switch total {
        case .exact(let bytes) where bytes > 0:
            text += " of \(size(bytes)) (\(min(100, Int(Double(done) * 100 / Double(bytes))))%)"
            if rate > 0 { left = Double(max(0, bytes - done)) / rate }
        case .estimate(let bytes) where bytes > 0:
            if done < bytes {
                text += " of ~\(size(bytes))"
                if rate > 0 { left = Double(bytes - done) / rate }
            }
        default:
            break
        }
        text += ", \(size(Int64(rate)))/s, \(clock(elapsed)) elapsed"
        if let left, moved > 0 { text += ", about \(clock(left)) left" }
        return text
    }

    /// `512 B`, `1.5 KiB`, `12.0 MiB`.
    package static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// `0:07`, `12:34`, `1:02:03`.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}
