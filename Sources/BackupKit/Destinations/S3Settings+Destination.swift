import ConfigKit
import S3Kit
import SigV4

extension S3Settings {
    /// The settings of a configured destination.
    public init(destination: DestinationConfig) {
        self.init(
            endpoint: destination.endpoint, region: destination.region, bucket: destination.bucket,
            credentials: SigV4Credentials(
                accessKeyId: destination.accessKeyId.value, secretAccessKey: destination.secretAccessKey.value,
                sessionToken: destination.sessionToken?.value),
            pathStyle: destination.pathStyle, caFile: destination.caFile,
            retry: RetryPolicy(budget: Double(destination.retryFor.components.seconds)))
        if let region = destination.provider.profile.requiredRegion { self.region = region }
        multiObjectDelete = destination.providerProfile.multiObjectDelete
    }
}
