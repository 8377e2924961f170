import Foundation

extension ZoneRules {
    /// Loads `identifier` (an IANA name such as `Europe/Berlin`) from `zoneinfoDirectory`.
    /// Rejects absolute paths, `..`, directories and non-TZif files; suggests close names.
    public static func load(
        identifier: String, zoneinfoDirectory: String = "/usr/share/zoneinfo"
    ) throws(ZoneError) -> ZoneRules {
        try validate(identifier)
        let path = zoneinfoDirectory + "/" + identifier
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if identifier == "UTC" { return .utc }
            throw unknown(identifier, in: zoneinfoDirectory)
        }
        if isDirectory.boolValue {
            throw ZoneError(identifier: identifier, reason: "\"\(identifier)\" is a region, not a time zone; "
                + "use a zone inside it such as \(example(under: identifier, in: zoneinfoDirectory))")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? NSNumber, size.intValue <= 1 << 20,
              let data = FileManager.default.contents(atPath: path) else {
            throw ZoneError(identifier: identifier, reason: "time zone \"\(identifier)\" cannot be read from \(path); "
                + "check that the tzdata package is installed")
        }
        let bytes = [UInt8](data)
        guard bytes.starts(with: "TZif".utf8) else {
            throw ZoneError(identifier: identifier, reason: "\"\(identifier)\" is not a time zone (\(path) is not a "
                + "TZif file); use an IANA name such as Europe/Berlin")
        }
        return try ZoneRules(identifier: identifier, tzif: bytes)
    }

    private static func validate(_ identifier: String) throws(ZoneError) {
        let components = identifier.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-./")
        let problem: String? =
            if identifier.isEmpty { "it is empty" }
            else if identifier.hasPrefix("/") { "it is an absolute path" }
            else if components.contains(where: { $0 == ".." || $0 == "." }) { "it contains a . or .. path component" }
            else if components.contains(where: \.isEmpty) { "it has an empty path component" }
            else if !identifier.allSatisfy(allowed.contains) { "it contains characters no zone name has" }
            else { nil }
        if let problem {
            throw ZoneError(identifier: identifier, reason: "invalid time zone \"\(identifier)\": \(problem); "
                + "use an IANA name such as Europe/Berlin, see /usr/share/zoneinfo")
        }
    }

    private static func unknown(_ identifier: String, in directory: String) -> ZoneError {
        var reason = "unknown time zone \"\(identifier)\""
        if let suggestion = closestZoneName(to: identifier, in: directory) {
            reason += "; did you mean \"\(suggestion)\"?"
        }
        reason += " Use an IANA name such as Europe/Berlin, see \(directory)"
        return ZoneError(identifier: identifier, reason: reason)
    }

    /// Zone names under `directory`: files whose name starts with an upper-case letter, skipping
    /// the `posix/` and `right/` copies.
    private static func zoneNames(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var names: [String] = []
        while let name = enumerator.nextObject() as? String {
            if name == "posix" || name == "right" {
                enumerator.skipDescendants()
                continue
            }
            let last = name.split(separator: "/").last ?? ""
            guard let first = last.first, first.isUppercase, !last.contains(".") else { continue }
            names.append(name)
        }
        return names.sorted()
    }

    private static func example(under region: String, in directory: String) -> String {
        zoneNames(in: directory).first { $0.hasPrefix(region + "/") } ?? "Europe/Berlin"
    }

    /// The zone name nearest `identifier` by edit distance (ignoring case), if reasonably close.
    static func closestZoneName(to identifier: String, in directory: String) -> String? {
        let wanted = Array(identifier.lowercased())
        var best: (name: String, distance: Int, whole: Int)?
        for name in zoneNames(in: directory) {
            let whole = editDistance(wanted, Array(name.lowercased()))
            var distance = whole
            if !identifier.contains("/"), let city = name.split(separator: "/").last, name.contains("/") {
                distance = min(distance, editDistance(wanted, Array(city.lowercased())))
            }
            // Ties go to the name that is closest as a whole ("utc" → "UTC" rather than "Etc/UTC").
            if best.map({ (distance, whole) < ($0.distance, $0.whole) }) ?? true { best = (name, distance, whole) }
        }
        guard let best, best.distance <= max(2, wanted.count / 4) else { return nil }
        return best.name
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
