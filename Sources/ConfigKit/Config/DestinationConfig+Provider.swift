import BackupCore
import S3Kit

extension DestinationConfig {
    /// The provider's profile with this destination's own `maxParts` and `multiObjectDelete` (an
    /// explicit value wins).
    public var providerProfile: ProviderProfile {
        var profile = provider.profile
        profile.maxParts = maxParts
        profile.multiObjectDelete = multiObjectDelete ?? profile.multiObjectDelete
        return profile
    }

    /// One line for `validate` and `check`: the provider, its limits and the retry budget.
    public var providerSummary: String {
        "provider \(provider.rawValue): \(providerProfile.summary), parts from \(partSize >> 20) MiB, \(partsInFlight) in flight, retry for \(DurationText.format(retryFor))"
    }
}
