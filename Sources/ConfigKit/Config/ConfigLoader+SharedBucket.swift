import Foundation

extension ConfigLoader {
    /// Rejects a job two of whose destinations are one bucket on one server: with the job's one
    /// prefix, both would write the same keys and overwrite each other's objects and manifest.
    /// `item` is the job's JSON (for each entry's position), `path` its JSON path.
    func checkDistinctBuckets(_ job: JobConfig, item: JSONValue, path: String, destinations: [DestinationConfig]) {
        guard case .object(let members) = item.kind,
              case .array(let entries)? = members.first(where: { $0.key == "destinations" })?.value.kind
        else { return }
        var seen: [String: (index: Int, name: String)] = [:]
        for (index, name) in job.destinations.enumerated() {
            guard let destination = destinations.first(where: { $0.name == name }) else { continue }
            let identity = Self.storageIdentity(destination)
            guard let first = seen[identity] else {
                seen[identity] = (index, name)
                continue
            }
            let entryPath = ConfigReader.join(path, "destinations") + "[\(index)]"
            let endpoint = destination.endpoint.absoluteString
            reader.error(
                index < entries.count ? entries[index] : item, entryPath,
                "destination \(ConfigReader.quote(name)) is bucket \(ConfigReader.quote(destination.bucket)) at \(endpoint), the same as "
                    + "\(ConfigReader.quote(first.name)) (destinations[\(first.index)]); both would write the same keys under prefix "
                    + "\(ConfigReader.quote(job.prefix)) and overwrite each other: list destinations with different buckets or endpoints")
        }
    }

    /// One bucket's identity: its name on its server (host and port, case-insensitive). AWS bucket
    /// names are global, so every amazonaws.com endpoint is the same server.
    static func storageIdentity(_ destination: DestinationConfig) -> String {
        let host = (destination.endpoint.host ?? destination.endpoint.absoluteString).lowercased()
        if host == "amazonaws.com" || host.hasSuffix(".amazonaws.com") { return "aws/" + destination.bucket }
        let scheme = destination.endpoint.scheme?.lowercased()
        let port = destination.endpoint.port ?? (scheme == "http" ? 80 : 443)
        return "\(host):\(port)/\(destination.bucket)"
    }
}
