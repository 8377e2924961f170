import Foundation

/// The S3-compatible services backupd knows the quirks of (a destination's `provider`), detected
/// from the endpoint's host unless the config names one.
public enum StorageProvider: String, Sendable, CaseIterable, Hashable {
    case aws, r2, b2, spaces, scaleway, wasabi, gcs, hetzner, ovh, minio, ceph, garage, mega, generic

    /// The provider an endpoint host belongs to; `generic` when the host says nothing
    /// (self-hosted MinIO, Ceph and Garage run under any name: set `provider` for them).
    public static func detect(host: String) -> StorageProvider {
        let h = host.lowercased()
        func under(_ domain: String) -> Bool { h == domain || h.hasSuffix("." + domain) }
        if under("amazonaws.com") || under("amazonaws.com.cn") { return .aws }
        if under("r2.cloudflarestorage.com") { return .r2 }
        if under("backblazeb2.com") { return .b2 }
        if under("digitaloceanspaces.com") { return .spaces }
        if under("scw.cloud") { return .scaleway }
        if under("wasabisys.com") { return .wasabi }
        if under("storage.googleapis.com") { return .gcs }
        if under("your-objectstorage.com") { return .hetzner }
        if under("cloud.ovh.net") || under("io.cloud.ovh.net") { return .ovh }
        if under("s4.mega.io") { return .mega }
        return .generic
    }

    /// What backupd does differently for this provider.
    public var profile: ProviderProfile {
        switch self {
        case .scaleway: return ProviderProfile(maxParts: 1000)
        case .r2: return ProviderProfile(equalParts: true, requiredRegion: "auto")
        case .mega: return ProviderProfile(equalParts: true)
        case .gcs: return ProviderProfile(multiObjectDelete: false)
        case .wasabi: return ProviderProfile(minimumStorageDays: 90)
        case .aws, .b2, .spaces, .hetzner, .ovh, .minio, .ceph, .garage, .generic: return ProviderProfile()
        }
    }
}

/// The limits and rules of one provider that change how backupd uploads, deletes and signs.
public struct ProviderProfile: Sendable, Hashable {
    /// The most parts one multipart upload may have.
    public var maxParts: Int
    /// Whether every part but the last must have the same size (checked at Complete).
    public var equalParts: Bool
    /// Whether DeleteObjects (POST ?delete) exists; otherwise one DELETE per object.
    public var multiObjectDelete: Bool
    /// The signing region the provider requires, whatever the config says (R2: `auto`).
    public var requiredRegion: String?
    /// Days an object is billed for at least, deleted or not (retention warns below it).
    public var minimumStorageDays: Int?
    /// The largest object (AWS's 5 TiB, shared by every provider here); a longer stream continues in segments.
    public var maxObjectSize: Int64

    /// AWS's limits unless told otherwise.
    public init(
        maxParts: Int = 10_000, equalParts: Bool = false, multiObjectDelete: Bool = true, requiredRegion: String? = nil,
        minimumStorageDays: Int? = nil, maxObjectSize: Int64 = 5 << 40
    ) {
        self.maxParts = maxParts
        self.equalParts = equalParts
        self.multiObjectDelete = multiObjectDelete
        self.requiredRegion = requiredRegion
        self.minimumStorageDays = minimumStorageDays
        self.maxObjectSize = maxObjectSize
    }

    /// One line for `validate` and `check`.
    public var summary: String {
        var parts = ["max \(maxParts) parts", equalParts ? "equal parts" : "growing parts"]
        parts.append(multiObjectDelete ? "multi-object delete" : "single deletes")
        if let requiredRegion { parts.append("region \(requiredRegion)") }
        if let minimumStorageDays { parts.append("minimum storage \(minimumStorageDays) days") }
        return parts.joined(separator: ", ")
    }
}
