import BackupCore
import BackupEngines
import ConfigKit
import Foundation
import Logging
import S3Kit

/// `backupd check`: proves what a backup needs, a job's database and tools, and every S3
/// operation against each destination with its conditional writes.
public struct ConfigCheck: Sendable {
    /// How S3 requests of a check are retried: twice at most, within 10 seconds.
    public static let retry = RetryPolicy(budget: 10, maxAttempts: 3, baseDelay: 0.25, maxDelay: 2)

    /// The config checked.
    public let config: BackupConfig
    private let launcher: any ProcessLauncher
    private let environment: [String: String]

    /// Checks of `config`; tools are started with `launcher` in a minimal `environment`.
    public init(config: BackupConfig, launcher: any ProcessLauncher = PosixProcessLauncher(), environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = config
        self.launcher = launcher
        self.environment = environment
    }

    /// Checks `job`'s database (when given), then each of `destinations` in order, handing each
    /// report to `report` as soon as it is made (with the destination it is about); true when
    /// every check passed.
    public func run(
        job: JobConfig?, destinations: [DestinationConfig], logger: Logger, report: (CheckReport, DestinationConfig?) -> Void
    ) async -> Bool {
        var passed = true
        if let job {
            let checked = database(of: job)
            report(checked, nil)
            passed = checked.passed
        }
        for destination in destinations {
            let checked = await self.destination(destination, logger: logger)
            report(checked, destination)
            passed = passed && checked.passed
        }
        return passed
    }

    /// What `job`'s dump needs from its database: the tools, the login, the permissions.
    public func database(of job: JobConfig) -> CheckReport {
        var checker = DatabaseChecker(job: job, launcher: launcher, environment: environment)
        checker.stateDirectory = config.stateDirectory
        return checker.run()
    }

    /// Every S3 operation a backup needs at `destination`, under a temporary prefix, then the
    /// conditional-write probe.
    public func destination(_ destination: DestinationConfig, logger: Logger) async -> CheckReport {
        var settings = S3Settings(destination: destination)
        settings.retry = Self.retry
        let client = S3Client(settings: settings, transport: CurlTransport(options: .init(caFile: settings.caFile)), logger: logger)
        let token = String(UUID().uuidString.prefix(8)).lowercased()
        let checked = await DestinationChecker(client: client, name: destination.name, token: token).run()
        return await withConditionalProbe(checked, client: client, destination: destination, token: token)
    }

    /// The conditional-write probe's steps for `destination`, added to its report: failures are
    /// errors where a `runOn: "any"` job keeps its claims (its first destination), else warnings.
    func withConditionalProbe(_ report: CheckReport, client: S3Client, destination: DestinationConfig, token: String) async -> CheckReport {
        var report = report
        let required = config.jobs.contains { $0.runOn == .any && $0.destinations.first == destination.name }
        guard report.steps.first.map({ !$0.failed }) ?? false else { return report }
        let probe = ConditionalWriteProbe(client: client, key: ".backupd-check-\(token)/conditional-probe", required: required)
        report.steps += await probe.run().steps
        return report
    }
}
