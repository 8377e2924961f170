/// Whether a provider honours `If-None-Match: *` and `If-Match` on PutObject, which claims
/// (`runOn: "any"`) depend on. From each provider's documentation as of 2026-12.
public enum ConditionalWriteSupport: Sendable, Hashable {
    /// Documented and relied on (AWS, R2, Scaleway; MinIO and Ceph RGW, probed by the tests on radosgw).
    case documented
    /// Not documented either way, or self-hosted under any name: accepted, and the daemon and
    /// `check` probe the semantics before trusting them.
    case probeFirst
    /// Documented as absent: claims would not be atomic, so `runOn: "any"` is refused.
    case absent(reason: String)
}

extension StorageProvider {
    /// The provider's conditional writes (part of its profile, kept here so the S3 layer's
    /// profile table stays one screen).
    public var conditionalWrites: ConditionalWriteSupport {
        switch self {
        case .aws, .r2, .scaleway, .minio, .ceph: return .documented
        case .b2: return .absent(reason: "Backblaze B2's S3 API documents conditional headers only on reads and copies, not on PutObject")
        case .garage: return .absent(reason: "Garage does not implement If-Match / If-None-Match on PutObject")
        case .gcs: return .absent(reason: "Google Cloud Storage conditions writes on generation numbers, not on If-None-Match / If-Match")
        case .wasabi, .spaces, .hetzner, .ovh, .mega, .generic: return .probeFirst
        }
    }
}
