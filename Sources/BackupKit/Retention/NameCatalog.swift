import Foundation

/// Backups read from object names alone: `{prefix}/{job}-{stamp}-{token}{suffix}` objects are
/// grouped by backup id and complete when `{id}.manifest.json` is among them; token-less
/// `{job}-{stamp}{suffix}` objects are legacy backups. Keys of another job (`app-old` for `app`)
/// or of a stranger are never returned.
public struct NameCatalog: RetentionCatalog {
    /// The suffix of a manifest after the backup id.
    public static let manifestSuffix = ".manifest.json"

    /// A catalog.
    public init() {}

    public func backups(of job: JobConfig, in store: any BackupObjectStore) throws -> [CatalogBackup] {
        let objects = try store.list(prefix: ObjectName.listPrefix(prefix: job.prefix, job: job.name))
        return Self.group(objects.map(\.key), prefix: job.prefix, job: job.name)
    }

    /// Groups `keys` into backups of `job`, oldest first; keys that are not such a backup's are left out.
    public static func group(_ keys: [String], prefix: String, job: String) -> [CatalogBackup] {
        var byID: [String: CatalogBackup] = [:]
        for key in keys.sorted() {
            guard let parsed = parse(key, prefix: prefix, job: job) else { continue }
            var backup = byID[parsed.id] ?? CatalogBackup(id: parsed.id, time: parsed.time, manifestKey: nil, dataKeys: [], legacy: parsed.legacy)
            if !parsed.legacy && parsed.suffix == manifestSuffix {
                backup.manifestKey = key
            } else {
                backup.dataKeys.append(key)
            }
            byID[parsed.id] = backup
        }
        return byID.values.sorted { $0.time != $1.time ? $0.time < $1.time : $0.id < $1.id }
    }

    /// The id of the backup `key` belongs to, or nil when it is not an object of `job`.
    public static func backupID(of key: String, prefix: String, job: String) -> String? {
        parse(key, prefix: prefix, job: job)?.id
    }

    /// The backup id, time, suffix and form of `key`, or nil when it is not an object of `job`.
    static func parse(_ key: String, prefix: String, job: String) -> (id: String, time: Date, suffix: String, legacy: Bool)? {
        guard ObjectName.belongs(key, prefix: prefix, job: job) else { return nil }
        let start = ObjectName.listPrefix(prefix: prefix, job: job)
        let rest = Array(key.utf8.dropFirst(start.utf8.count))
        let stamp = String(decoding: rest.prefix(16), as: UTF8.self)
        guard let time = time(stamp) else { return nil }
        let tail = rest.dropFirst(16)
        let isHex = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) }
        if tail.first == UInt8(ascii: "-"), tail.count > 9, tail.dropFirst().prefix(8).allSatisfy(isHex),
           tail.dropFirst(9).first == UInt8(ascii: ".") {
            let token = String(decoding: tail.dropFirst().prefix(8), as: UTF8.self)
            return ("\(job)-\(stamp)-\(token)", time, String(decoding: tail.dropFirst(9), as: UTF8.self), false)
        }
        guard tail.first == UInt8(ascii: ".") else { return nil }
        return ("\(job)-\(stamp)", time, String(decoding: tail, as: UTF8.self), true)
    }

    /// `YYYYMMDDTHHMMSSZ` as an instant, or nil when the fields are out of range.
    static func time(_ stamp: String) -> Date? {
        let digits = Array(stamp.utf8).map { Int($0) - Int(UInt8(ascii: "0")) }
        guard digits.count == 16 else { return nil }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + digits[$1] } }
        var components = DateComponents()
        components.year = number(0..<4)
        components.month = number(4..<6)
        components.day = number(6..<8)
        components.hour = number(9..<11)
        components.minute = number(11..<13)
        components.second = number(13..<15)
        guard (1...12).contains(components.month!), (1...31).contains(components.day!), components.hour! < 24,
              components.minute! < 60, components.second! < 60
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components), ObjectName.timestamp(date) == stamp else { return nil }
        return date
    }
}
