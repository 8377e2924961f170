import BackupCore
import BackupEngines
import ConfigKit
import Foundation

extension ConfigCheck {
    /// What `backupd check JOB` learnt of the job's table patterns.
    public enum TablesOutcome: Sendable, Equatable {
        /// The job selects no tables.
        case none
        /// What each pattern matches (`text`), with a warning per include that matches nothing.
        case matched(text: String, warnings: [String])
        /// The config (with the job's own credentials) does not load.
        case configError(String)
        /// The database could not be asked.
        case failed(String)
    }

    /// What each of job `name`'s table patterns matches, asked of its database with its own
    /// credentials (the config at `configPath` loaded again with them; its warnings were shown by the first load).
    public static func tables(
        job name: String, configPath: String, launcher: any ProcessLauncher = PosixProcessLauncher(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> TablesOutcome {
        do {
            let (config, _) = try BackupConfig.load(path: configPath, secrets: .job(name))
            guard let job = config.job(named: name), let matches = try TableCheck(launcher: launcher, environment: environment).run(job)
            else { return .none }
            return .matched(text: matches.render(), warnings: matches.warnings)
        } catch let error as ConfigError {
            return .configError(error.description)
        } catch {
            return .failed("\(error)")
        }
    }
}
