import ConfigKit
import Logging
import S3Kit

extension S3Client {
    /// A client over libcurl for a configured destination.
    public convenience init(destination: DestinationConfig, logger: Logger) {
        let settings = S3Settings(destination: destination)
        self.init(settings: settings, transport: CurlTransport(options: .init(caFile: settings.caFile)), logger: logger)
    }
}
