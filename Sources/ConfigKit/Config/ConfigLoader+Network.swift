import BackupCore
import Foundation
import S3Kit

/// The keys of issue 11: a destination's `provider` and `retryFor`, a job's `expectedSize`.
extension ConfigLoader {
    /// What `readNetworkKeys` found on a destination, applied once the destination is built.
    struct NetworkKeys {
        var provider: StorageProvider
        var retryFor: Duration
        var maxPartsGiven: Bool

        /// Sets the provider, the retry budget and (unless the config gave `maxParts`) the provider's part limit.
        func apply(to destination: inout DestinationConfig) {
            destination.provider = provider
            destination.retryFor = retryFor
            if !maxPartsGiven { destination.maxParts = provider.profile.maxParts }
        }
    }

    /// Reads `provider` (default: detected from the endpoint's host) and `retryFor` (default 5 minutes).
    func readNetworkKeys(_ object: ObjectReader, endpoint: URL?, region: String?) -> NetworkKeys {
        let detected = endpoint?.host.map(StorageProvider.detect(host:)) ?? .generic
        let provider = object.choice("provider", StorageProvider.self) ?? detected
        var retryFor = DestinationConfig.defaultRetryFor
        if let given = duration(object, "retryFor") {
            if given < .seconds(1) || given > .seconds(24 * 3600) {
                reader.error(object.raw("retryFor"), object.childPath("retryFor"), "\(DurationText.format(given)) is not valid; give a duration from \"1s\" to \"24h\", such as \"5m\"")
            } else {
                retryFor = given
            }
        }
        if let required = provider.profile.requiredRegion, let region, region != required, region != "us-east-1" {
            reader.error(object.raw("region"), object.childPath("region"), "\(ConfigReader.quote(region)) is not accepted by \(provider.rawValue); set \"region\": \"\(required)\"")
        }
        return NetworkKeys(provider: provider, retryFor: retryFor, maxPartsGiven: object.has("maxParts"))
    }

    /// Reads a job's `expectedSize`: bytes as a number, or text such as "40GiB", "500MB".
    func readExpectedSize(_ object: ObjectReader) -> Int64? {
        guard let value = object.raw("expectedSize") else { return nil }
        let hint = "give the expected size of one backup as a number of bytes or text such as \"40GiB\" or \"800MiB\""
        let text: String
        switch value.kind {
        case .number(let n): text = n
        case .string(let s): text = s
        default:
            reader.error(value, object.childPath("expectedSize"), "expected a size, found \(value.typeDescription) \(ConfigReader.render(value)); \(hint)")
            return nil
        }
        guard let bytes = Self.parseSize(text), bytes > 0 else {
            reader.error(value, object.childPath("expectedSize"), "\(ConfigReader.render(value)) is not a size; \(hint)")
            return nil
        }
        return bytes
    }

    /// `123`, `40GiB`, `500MB`, `2TiB`, `1.5GiB` in bytes; nil when unreadable.
    static func parseSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let number = Double(digits) else { return nil }
        let units: [String: Double] = [
            "": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let multiplier = units[unit] else { return nil }
        let bytes = number * multiplier
        guard bytes.isFinite, bytes < 9e18 else { return nil }
        return Int64(bytes)
    }
}
