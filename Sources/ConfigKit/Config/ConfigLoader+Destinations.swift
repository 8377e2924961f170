import Cron
import Foundation

/// Reading a destination: endpoint, bucket and provider rules.
extension ConfigLoader {
    func readDestination(_ value: JSONValue, path: String) -> DestinationConfig? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "a destination") else { return nil }
        let name = validName(object, "name", what: "destination")
        let endpointText = object.string("endpoint", required: "the S3 service URL, e.g. \"https://s3.eu-central-1.amazonaws.com\"")
        let allowInsecure = object.bool("allowInsecureHTTP") ?? false
        let endpoint = endpointText.flatMap { validEndpoint($0, allowInsecure: allowInsecure, value: object.raw("endpoint")!, path: object.childPath("endpoint")) }
        let region = object.string("region", required: "the signing region, e.g. \"us-east-1\", \"fra1\", \"fr-par\" or \"auto\" for R2")
        if let region, !region.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }) {
            reader.error(object.raw("region"), object.childPath("region"), "\(ConfigReader.quote(region)) is not a region name; use letters, digits and '-', e.g. \"eu-central-1\"")
        }
        let bucket = object.string("bucket", required: "the bucket's name")
        let pathStyle = object.bool("pathStyle") ?? !(endpoint.map(Self.isAWSHost) ?? false)
        if let bucket { validateBucket(bucket, virtualHosted: !pathStyle, value: object.raw("bucket")!, path: object.childPath("bucket")) }
        let owner = name.map(SecretOwner.destination)
        let accessKeyId = secret(object, "accessKeyId", required: true, literalWarning: false, owner: owner)
        let secretAccessKey = secret(object, "secretAccessKey", required: true, owner: owner)
        let sessionToken = secret(object, "sessionToken", required: false, owner: owner)
        var caFile = object.string("caFile")
        if let path = caFile {
            if !path.hasPrefix("/") {
                reader.error(object.raw("caFile"), object.childPath("caFile"), "\(ConfigReader.quote(path)) is not an absolute path to a PEM file")
                caFile = nil
            } else if let problem = sources.checkFile(path, ConfigSources.maxCAFileSize) {
                reader.error(object.raw("caFile"), object.childPath("caFile"), Self.caFileProblem(problem))
            }
        }
        let maxParts = object.integer("maxParts", in: 1...10_000) ?? 10_000
        let partSizeMiB = object.integer("partSizeMiB", in: 5...5120) ?? 8
        let partsInFlight = object.integer("partsInFlight", in: 1...64) ?? 4
        let multiObjectDelete = object.bool("multiObjectDelete")
        let network = readNetworkKeys(object, endpoint: endpoint, region: region)
        object.finish()
        guard let name, let endpoint, let region, let bucket, let accessKeyId, let secretAccessKey else { return nil }
        var destination = DestinationConfig(
            name: name, endpoint: endpoint, region: region, bucket: bucket, accessKeyId: accessKeyId,
            secretAccessKey: secretAccessKey, sessionToken: sessionToken, pathStyle: pathStyle,
            allowInsecureHTTP: allowInsecure, caFile: caFile, maxParts: maxParts,
            partSize: partSizeMiB * 1024 * 1024, partsInFlight: partsInFlight)
        network.apply(to: &destination)
        destination.multiObjectDelete = multiObjectDelete
        return destination
    }

    static func isAWSHost(_ url: URL) -> Bool {
        guard let host = url.host?.lowercased() else { return false }
        return host == "amazonaws.com" || host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn")
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h.hasSuffix(".localhost") || h == "::1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    func validEndpoint(_ text: String, allowInsecure: Bool, value: JSONValue, path: String) -> URL? {
        let shown = ConfigReader.quote(text)
        guard text.contains("://") else {
            reader.error(value, path, "\(shown) has no scheme; write it as \"https://\(text)\"")
            return nil
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, let url = components.url
        else {
            reader.error(value, path, "\(text.contains("@") ? "the value" : shown) is not a valid URL; expected one such as \"https://s3.eu-central-1.amazonaws.com\"")
            return nil
        }
        if components.user != nil || components.password != nil {
            reader.error(value, path, "the URL must not contain credentials; give them in accessKeyId and secretAccessKey")
            return nil
        }
        if components.query != nil || components.fragment != nil || !(components.path.isEmpty || components.path == "/") {
            reader.error(value, path, "\(shown) must be the service's base URL with no path, query or fragment, e.g. \"https://\(host)\"; the bucket goes in \"bucket\"")
            return nil
        }
        switch scheme {
        case "https":
            return url
        case "http":
            if Self.isLoopback(host) || allowInsecure { return url }
            reader.error(value, path, "\(shown) uses plain http, which sends backups and signatures unencrypted; use https, or set \"allowInsecureHTTP\": true for this destination if you accept that (http is allowed without it only for loopback hosts)")
            return nil
        default:
            reader.error(value, path, "\(shown) has scheme \"\(scheme)\"; expected https (or http for loopback hosts)")
            return nil
        }
    }

    func validateBucket(_ bucket: String, virtualHosted: Bool, value: JSONValue, path: String) {
        let shown = ConfigReader.quote(bucket)
        let scalars = Array(bucket.unicodeScalars)
        func isLowerAlnum(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        guard (3...63).contains(scalars.count) else {
            reader.error(value, path, "\(shown) is not a valid bucket name: it must be 3 to 63 characters long")
            return
        }
        if let bad = scalars.first(where: { !(isLowerAlnum($0) || $0 == "-" || $0 == ".") }) {
            let detail = ("A"..."Z").contains(bad) ? "upper-case letters are not allowed" : "'\(bad)' is not allowed"
            if virtualHosted || bad == "/" || bad == " " {
                reader.error(value, path, "\(shown) is not a valid bucket name: \(detail); use lower-case letters, digits, '-' and '.'")
            } else {
                reader.warning(value, path, "\(shown) is not a DNS-compatible bucket name (\(detail)); it works only with path-style addressing")
            }
            return
        }
        if !isLowerAlnum(scalars.first!) || !isLowerAlnum(scalars.last!) || bucket.contains("..") {
            reader.error(value, path, "\(shown) is not a valid bucket name: it must start and end with a letter or digit and not contain \"..\"")
        }
    }
}
