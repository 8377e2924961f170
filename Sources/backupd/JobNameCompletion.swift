import ArgumentParser
import BackupKit
import ConfigKit

/// Shell completion of job names: the names in the config the command line names (`--config`/`-c`,
/// else the default path), read without any secret, so it works for a user who cannot read them.
enum JobNameCompletion {
    /// The completion kind for a job-name argument.
    static let kind = CompletionKind.custom { words, _, prefix in
        jobNames(configPath: configPath(in: words)).filter { $0.hasPrefix(prefix) }
    }

    /// The value of the last `--config`/`-c` (`--config=PATH` too) in `words`, else the default.
    static func configPath(in words: [String]) -> String {
        var path = BackupConfig.defaultPath
        for (index, word) in words.enumerated() {
            if word.hasPrefix("--config=") {
                path = String(word.dropFirst("--config=".count))
            } else if word == "--config" || word == "-c", index + 1 < words.count {
                path = words[index + 1]
            }
        }
        return path
    }

    /// The job names of the config at `configPath`; none when it cannot be read or does not validate.
    static func jobNames(configPath: String) -> [String] {
        guard let (config, _) = try? BackupConfig.load(path: configPath, secrets: .none) else { return [] }
        return config.jobs.map(\.name)
    }
}
