import BackupCore
import Foundation

/// The keys of issue 19: the top-level `hostId` and a job's `runOn`.
extension ConfigLoader {
    /// What a host id may contain.
    static let hostIdPattern = "letters, digits, '.', '_' and '-' (1 to 64 characters, not starting with '.' or '-')"

    /// Whether `text` is a valid host id (it is written into claims, keys of logs and history rows).
    static func isValidHostId(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && !text.hasPrefix(".") && !text.hasPrefix("-")
            && text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
            }
    }

    /// The top-level `hostId`, else the machine's hostname; nil (and an error when set) when
    /// neither is a valid host id. A hostname that is not one only matters to `runOn: "any"` jobs.
    func readHostId(_ root: ObjectReader) -> (id: String?, fromHostname: Bool) {
        if root.has("hostId") {
            guard let text = root.string("hostId", allowEmpty: true) else { return (nil, false) }
            guard Self.isValidHostId(text) else {
                reader.error(
                    root.raw("hostId"), "hostId",
                    "\(ConfigReader.quote(text)) is not a valid host id; use \(Self.hostIdPattern), unique per host, e.g. \"backup-1\"")
                return (nil, false)
            }
            return (text, false)
        }
        guard let name = sources.hostName(), Self.isValidHostId(name) else { return (nil, true) }
        return (name, true)
    }

    /// The top-level `claimLease` (default 60 s): at least 3 s (renewals come every third of it)
    /// and at most a day.
    func readClaimLease(_ root: ObjectReader) -> Duration {
        guard let lease = duration(root, "claimLease") else { return BackupConfig.defaultClaimLease }
        guard lease >= .seconds(3), lease <= .seconds(86_400) else {
            reader.error(
                root.raw("claimLease"), "claimLease",
                "\(DurationText.format(lease)) is not a usable lease; use 3s to 1d (e.g. \"60s\"): a host that stops renewing loses its slots after it")
            return BackupConfig.defaultClaimLease
        }
        return lease
    }

    /// A job's `runOn` (default `"this"`).
    func readRunOn(_ object: ObjectReader) -> RunOn {
        object.choice("runOn", RunOn.self) ?? .this
    }

    /// Refuses `runOn: "any"` where claims cannot work: without a host id, or when the job's first
    /// destination (where its claims live) is on a provider documented to lack conditional writes.
    func checkRunOn(_ job: JobConfig, item: JSONValue, path: String, destinations: [DestinationConfig], hostId: String?) {
        guard job.runOn == .any else { return }
        var value = item
        if case .object(let members) = item.kind, let runOn = members.first(where: { $0.key == "runOn" }) { value = runOn.value }
        let at = ConfigReader.join(path, "runOn")
        if hostId == nil {
            reader.error(
                value, at,
                "\"any\" needs a host id and the machine's hostname is not usable as one; set the top-level \"hostId\" (\(Self.hostIdPattern)), different on every host")
        }
        guard let first = job.destinations.first, let destination = destinations.first(where: { $0.name == first }) else { return }
        if case .absent(let reason) = destination.provider.conditionalWrites {
            reader.error(
                value, at,
                "\"any\" needs conditional writes (If-None-Match / If-Match) on the job's first destination, where the claims live, but "
                    + "\(ConfigReader.quote(first)) is provider \(destination.provider.rawValue): \(reason); use \"this\", or list first a destination on "
                    + "a provider that has them (aws, r2, scaleway, minio, ceph)")
        }
    }
}
