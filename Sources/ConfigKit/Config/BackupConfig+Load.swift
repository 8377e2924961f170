import Cron
import Foundation

extension BackupConfig {
    /// The path used when `--config` is not given.
    public static let defaultPath = "/etc/backupd/config.json"

    /// Loads and validates a config file. Throws a `ConfigError` listing every problem; on success
    /// returns the config and any warnings (e.g. literal secrets in a world-readable file).
    /// `secrets` says which secrets are resolved (and reported when missing); the file must be a
    /// regular file of at most `ConfigSources.maxConfigFileSize` bytes.
    public static func load(path: String, sources: ConfigSources = .live, secrets: SecretScope = .all) throws(ConfigError) -> (config: BackupConfig, warnings: [ConfigProblem]) {
        let bytes: [UInt8]
        do {
            bytes = try sources.readFile(path, ConfigSources.maxConfigFileSize)
        } catch {
            throw ConfigError(problems: [ConfigProblem(
                .error, file: path, position: nil, path: "", message: ConfigLoader.configFileProblem(error))])
        }
        return try parse(bytes, file: path, sources: sources, secrets: secrets)
    }

    /// Validates config text; `file` names it in problems and decides the permission warning.
    public static func parse(_ bytes: [UInt8], file: String, sources: ConfigSources, secrets: SecretScope = .all) throws(ConfigError) -> (config: BackupConfig, warnings: [ConfigProblem]) {
        var parser = JSONParser(bytes)
        let document: JSONValue
        do {
            document = try parser.parseDocument()
        } catch {
            throw ConfigError(problems: [ConfigProblem(
                .error, file: file, position: error.position, path: "",
                message: "malformed JSON: \(error.message)")])
        }
        let reader = ConfigReader(file: file)
        for duplicate in parser.duplicateKeys {
            reader.error(at: duplicate.second, "", "duplicate key \(ConfigReader.quote(duplicate.key)) (first at line \(duplicate.first.line), column \(duplicate.first.column)); each key may appear once")
        }
        let loader = ConfigLoader(reader: reader, sources: sources, file: file, secrets: SecretFilter(scope: secrets, document: document))
        let config = loader.read(document)
        let problems = reader.problems.sorted(by: ConfigLoader.order)
        let errors = problems.filter { $0.severity == .error }
        guard errors.isEmpty, let config else {
            throw ConfigError(problems: errors + problems.filter { $0.severity == .warning })
        }
        return (config, problems)
    }
}

/// Reads a parsed document into a `BackupConfig`, reporting every problem along the way.
struct ConfigLoader {
    let reader: ConfigReader
    let sources: ConfigSources
    let file: String
    /// Which secrets are resolved; the others stay references.
    var secrets: SecretFilter = .all

    static let namePattern = "letters, digits, '.', '_' and '-' (1 to 64 characters)"

    static func order(_ a: ConfigProblem, _ b: ConfigProblem) -> Bool {
        if a.severity != b.severity { return a.severity == .error }
        switch (a.position, b.position) {
        case let (x?, y?): return x < y
        case (.some, nil): return true
        default: return false
        }
    }

    func read(_ document: JSONValue) -> BackupConfig? {
        guard let root = ObjectReader(document, path: "", reader: reader, what: "the configuration") else { return nil }

        let stateDirectory = root.string("stateDirectory") ?? "/var/lib/backupd"
        if !stateDirectory.hasPrefix("/") {
            reader.error(root.raw("stateDirectory"), "stateDirectory", "\(ConfigReader.quote(stateDirectory)) is not an absolute path; use one such as \"/var/lib/backupd\"")
        }
        let zone = zone(root, "timeZone") ?? (try? ZoneRules.load(identifier: "UTC"))
        let maxConcurrent = root.integer("maxConcurrentJobs", in: 1...64) ?? 2
        let grace = duration(root, "shutdownGracePeriod") ?? .seconds(300)
        let (defaultRetention, historyRetention) = readRetentionDefaults(root)
        let defaults = readRunExtras(root)
        let host = readHostId(root)
        let claimLease = readClaimLease(root)

        var destinations: [DestinationConfig] = []
        var destinationNames: [String] = []
        if let list = array(root, "destinations", hint: "add an array of S3 destinations, e.g. \"destinations\": [{\"name\": \"offsite\", ...}]") {
            var seen: [String: Int] = [:]
            for (index, item) in list.enumerated() {
                let path = elementPath("destinations", index, item)
                if let name = nameOf(item) {
                    if let first = seen[name] {
                        reader.error(item, path, "duplicate destination name \(ConfigReader.quote(name)) (also destinations[\(first)]); names must be unique")
                    } else {
                        seen[name] = index
                    }
                    destinationNames.append(name)
                }
                if let destination = readDestination(item, path: path) { destinations.append(destination) }
            }
        }

        var jobs: [JobConfig] = []
        if let list = array(root, "jobs", hint: "add an array of backup jobs, e.g. \"jobs\": [{\"name\": \"app-db\", ...}]") {
            var seen: [String: Int] = [:]
            for (index, item) in list.enumerated() {
                let path = elementPath("jobs", index, item)
                if let name = nameOf(item) {
                    if let first = seen[name] {
                        reader.error(item, path, "duplicate job name \(ConfigReader.quote(name)) (also jobs[\(first)]); names must be unique")
                    } else {
                        seen[name] = index
                    }
                }
                if var job = readJob(item, path: path, defaultZone: zone, destinationNames: destinationNames) {
                    applyRunExtras(item, path: path, defaults: defaults, to: &job)
                    checkDistinctBuckets(job, item: item, path: path, destinations: destinations)
                    checkRunOn(job, item: item, path: path, destinations: destinations, hostId: host.id)
                    jobs.append(job)
                }
            }
            if list.isEmpty {
                reader.warning(root.raw("jobs"), "jobs", "no jobs are configured; backupd has nothing to back up")
            }
        }
        let verify = root.raw("verify").flatMap { readVerify($0, path: "verify", engine: nil, topLevel: true) }
        root.finish()

        guard !reader.hasErrors, let zone else { return nil }
        var config = BackupConfig(
            stateDirectory: stateDirectory, timeZone: zone, maxConcurrentJobs: maxConcurrent,
            shutdownGracePeriod: grace, destinations: destinations, jobs: jobs.map { $0.withDefaultRetention(defaultRetention) },
            retention: defaultRetention, historyRetention: historyRetention, metrics: defaults.metrics)
        config.verify = verify
        config.hostId = host.id
        config.claimLease = claimLease
        return config
    }
}
