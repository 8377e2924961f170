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
        return config
    }

    // MARK: - Destinations

    func readDestination(_ value: JSONValue, path: String) -> DestinationConfig? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "a destination") else { return nil }
        let name = validName(object, "name", what: "destination")
        let endpointText = object.string("endpoint", required: "the S3 service URL, e.g. \"https://s3.eu-central-1.amazonaws.com\"")
        let allowInsecure = object.bool("allowInsecureHTTP") ?? false
        let endpoint = endpointText.flatMap { validEndpoint($0, allowInsecure: allowInsecure, value: object.raw("endpoint")!, path: object.childPath("endpoint")) }
        let region = object.string("region", required: "the signing region, e.g. \"us-east-1\", \"fra1\", \"fr-par\" or \"auto\" for R2")
        if let region, !region.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }) {
            reader.error(object.raw("region"), object.childPath("region"), "\(ConfigReader.quote(region)) is not a region name; use letters, digits and '-', e.g. \"eu-central-1\"")
        }
        let bucket = object.string("bucket", required: "the bucket's name")
        let pathStyle = object.bool("pathStyle") ?? !(endpoint.map(Self.isAWSHost) ?? false)
        if let bucket { validateBucket(bucket, virtualHosted: !pathStyle, value: object.raw("bucket")!, path: object.childPath("bucket")) }
        let owner = name.map(SecretOwner.destination)
        let accessKeyId = secret(object, "accessKeyId", required: true, literalWarning: false, owner: owner)
        let secretAccessKey = secret(object, "secretAccessKey", required: true, owner: owner)
        let sessionToken = secret(object, "sessionToken", required: false, owner: owner)
        var caFile = object.string("caFile")
        if let path = caFile {
            if !path.hasPrefix("/") {
                reader.error(object.raw("caFile"), object.childPath("caFile"), "\(ConfigReader.quote(path)) is not an absolute path to a PEM file")
                caFile = nil
            } else if let problem = sources.checkFile(path, ConfigSources.maxCAFileSize) {
                reader.error(object.raw("caFile"), object.childPath("caFile"), Self.caFileProblem(problem))
            }
        }
        let maxParts = object.integer("maxParts", in: 1...10_000) ?? 10_000
        let partSizeMiB = object.integer("partSizeMiB", in: 5...5120) ?? 8
        let partsInFlight = object.integer("partsInFlight", in: 1...64) ?? 4
        let multiObjectDelete = object.bool("multiObjectDelete")
        let network = readNetworkKeys(object, endpoint: endpoint, region: region)
        object.finish()
        guard let name, let endpoint, let region, let bucket, let accessKeyId, let secretAccessKey else { return nil }
        var destination = DestinationConfig(
            name: name, endpoint: endpoint, region: region, bucket: bucket, accessKeyId: accessKeyId,
            secretAccessKey: secretAccessKey, sessionToken: sessionToken, pathStyle: pathStyle,
            allowInsecureHTTP: allowInsecure, caFile: caFile, maxParts: maxParts,
            partSize: partSizeMiB * 1024 * 1024, partsInFlight: partsInFlight)
        network.apply(to: &destination)
        destination.multiObjectDelete = multiObjectDelete
        return destination
    }

    static func isAWSHost(_ url: URL) -> Bool {
        guard let host = url.host?.lowercased() else { return false }
        return host == "amazonaws.com" || host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn")
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h.hasSuffix(".localhost") || h == "::1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    func validEndpoint(_ text: String, allowInsecure: Bool, value: JSONValue, path: String) -> URL? {
        let shown = ConfigReader.quote(text)
        guard text.contains("://") else {
            reader.error(value, path, "\(shown) has no scheme; write it as \"https://\(text)\"")
            return nil
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, let url = components.url
        else {
            reader.error(value, path, "\(text.contains("@") ? "the value" : shown) is not a valid URL; expected one such as \"https://s3.eu-central-1.amazonaws.com\"")
            return nil
        }
        if components.user != nil || components.password != nil {
            reader.error(value, path, "the URL must not contain credentials; give them in accessKeyId and secretAccessKey")
            return nil
        }
        if components.query != nil || components.fragment != nil || !(components.path.isEmpty || components.path == "/") {
            reader.error(value, path, "\(shown) must be the service's base URL with no path, query or fragment, e.g. \"https://\(host)\"; the bucket goes in \"bucket\"")
            return nil
        }
        switch scheme {
        case "https":
            return url
        case "http":
            if Self.isLoopback(host) || allowInsecure { return url }
            reader.error(value, path, "\(shown) uses plain http, which sends backups and signatures unencrypted; use https, or set \"allowInsecureHTTP\": true for this destination if you accept that (http is allowed without it only for loopback hosts)")
            return nil
        default:
            reader.error(value, path, "\(shown) has scheme \"\(scheme)\"; expected https (or http for loopback hosts)")
            return nil
        }
    }

    func validateBucket(_ bucket: String, virtualHosted: Bool, value: JSONValue, path: String) {
        let shown = ConfigReader.quote(bucket)
        let scalars = Array(bucket.unicodeScalars)
        func isLowerAlnum(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        guard (3...63).contains(scalars.count) else {
            reader.error(value, path, "\(shown) is not a valid bucket name: it must be 3 to 63 characters long")
            return
        }
        if let bad = scalars.first(where: { !(isLowerAlnum($0) || $0 == "-" || $0 == ".") }) {
            let detail = ("A"..."Z").contains(bad) ? "upper-case letters are not allowed" : "'\(bad)' is not allowed"
            if virtualHosted || bad == "/" || bad == " " {
                reader.error(value, path, "\(shown) is not a valid bucket name: \(detail); use lower-case letters, digits, '-' and '.'")
            } else {
                reader.warning(value, path, "\(shown) is not a DNS-compatible bucket name (\(detail)); it works only with path-style addressing")
            }
            return
        }
        if !isLowerAlnum(scalars.first!) || !isLowerAlnum(scalars.last!) || bucket.contains("..") {
            reader.error(value, path, "\(shown) is not a valid bucket name: it must start and end with a letter or digit and not contain \"..\"")
        }
    }

    // MARK: - Jobs

    func readJob(_ value: JSONValue, path: String, defaultZone: ZoneRules?, destinationNames: [String]) -> JobConfig? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "a job") else { return nil }
        let name = validName(object, "name", what: "job")
        let engine = object.choice("engine", Engine.self, required: "one of \(Engine.allCases.map(\.rawValue).joined(separator: ", "))")
        let zone = object.has("timeZone") ? self.zone(object, "timeZone") : defaultZone
        let schedule = cron(object)
        let targets = readJobDestinations(object, destinationNames: destinationNames)
        let destination = targets?.names.first
        let prefix = validPrefix(object)
        let connection: ConnectionConfig?
        if let raw = object.raw("connection") {
            connection = engine.flatMap { readConnection(raw, engine: $0, path: object.childPath("connection"), owner: name.map(SecretOwner.job)) }
        } else {
            if engine != nil { object.missing("connection", "how to reach the database (see the README's connection keys for each engine)") }
            connection = nil
        }
        let (compression, compressionOptions) = compressionSetting(object)
        let timeout = duration(object, "timeout") ?? .seconds(24 * 3600)
        let enabled = object.bool("enabled") ?? true
        let catchUp = object.choice("catchUp", CatchUpPolicy.self) ?? .once
        let retention = object.raw("retention").flatMap { readRetention($0, path: object.childPath("retention")) }
        let verify = object.raw("verify").flatMap { readVerify($0, path: object.childPath("verify"), engine: engine, topLevel: false) }
        let expectedSize = readExpectedSize(object)
        object.finish(validKeys: Self.runExtraKeys)
        guard let name, let engine, let schedule, let zone, let destination, let prefix, let connection else { return nil }
        var job = JobConfig(
            name: name, engine: engine, schedule: schedule, timeZone: zone, destination: destination,
            prefix: prefix, connection: connection, compression: compression, timeout: timeout,
            enabled: enabled, catchUp: catchUp, retention: retention, compressionOptions: compressionOptions)
        job.verify = verify
        job.expectedSize = expectedSize
        job.copyDestinations = Array(targets?.names.dropFirst() ?? [])
        job.retentionByDestination = targets?.retention ?? [:]
        return job
    }

    func cron(_ object: ObjectReader) -> CronExpression? {
        guard let text = object.string("schedule", required: "a cron expression such as \"0 3 * * *\" (03:00 every day)") else { return nil }
        do {
            return try CronExpression(text)
        } catch {
            var message = "\(ConfigReader.quote(text)) is not a valid cron expression: \(error.reason)"
            if !error.token.isEmpty { message += " (at position \(error.position + 1), \(ConfigReader.quote(error.token)))" }
            message += "; the format is \"minute hour day-of-month month day-of-week\", e.g. \"30 2 * * *\""
            reader.error(object.raw("schedule"), object.childPath("schedule"), message)
            return nil
        }
    }

    func validPrefix(_ object: ObjectReader) -> String? {
        guard object.has("prefix") else { return "" }
        guard let prefix = object.string("prefix", allowEmpty: true) else { return nil }
        let value = object.raw("prefix")
        let path = object.childPath("prefix")
        let shown = ConfigReader.quote(prefix)
        if prefix.hasPrefix("/") {
            reader.error(value, path, "\(shown) must not start with '/'; object names are relative to the bucket, e.g. \"backups/app\"")
        } else if prefix.hasSuffix("/") {
            reader.error(value, path, "\(shown) must not end with '/'; backupd adds the separator itself")
        } else if prefix.contains("//") {
            reader.error(value, path, "\(shown) must not contain an empty segment (\"//\")")
        } else if prefix.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            reader.error(value, path, "\(shown) must not contain control characters")
        } else if prefix.utf8.count > 512 {
            reader.error(value, path, "is \(prefix.utf8.count) bytes long; keep it under 512 bytes (S3 keys are at most 1024)")
        } else {
            return prefix
        }
        return nil
    }

    // MARK: - Connections

    func readConnection(_ value: JSONValue, engine: Engine, path: String, owner: SecretOwner? = nil) -> ConnectionConfig? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "the \(engine.rawValue) connection") else { return nil }
        defer { object.finish() }
        switch engine {
        case .postgres, .mysql:
            let host = object.string("host", required: engine == .postgres ? "e.g. \"127.0.0.1\", or a socket directory such as \"/var/run/postgresql\"" : "e.g. \"127.0.0.1\"")
            let port = object.integer("port", in: 1...65_535) ?? (engine == .postgres ? 5432 : 3306)
            let username = object.string("username", required: "the database user to connect as")
            let password = secret(object, "password", required: false, owner: owner)
            let database = object.string("database", required: "the name of the database to back up")
            let globals = engine == .postgres ? (object.bool("globals") ?? false) : false
            guard let host, let username, let database else { return nil }
            return .sql(SQLConnection(host: host, port: port, username: username, password: password, database: database, globals: globals))
        case .mongodb:
            let uri = object.string("uri", required: "a connection string such as \"mongodb://backup@127.0.0.1:27017/app?authSource=admin\"")
            let password = secret(object, "password", required: false, owner: owner)
            guard let uri else { return nil }
            guard uri.hasPrefix("mongodb://") || uri.hasPrefix("mongodb+srv://") else {
                reader.error(object.raw("uri"), object.childPath("uri"), "the URI must start with mongodb:// or mongodb+srv://")
                return nil
            }
            let authority = uri.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).dropFirst(2).first ?? ""
            if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") {
                reader.error(object.raw("uri"), object.childPath("uri"), "the URI contains a password; remove it from the URI and give it as \"password\" (a literal, {\"env\": NAME} or {\"file\": PATH}) so that it never appears on a command line")
                return nil
            }
            return .mongodb(MongoConnection(uri: uri, password: password))
        case .redis:
            let host = object.string("host", required: "e.g. \"127.0.0.1\"")
            let port = object.integer("port", in: 1...65_535) ?? 6379
            let username = object.string("username")
            let password = secret(object, "password", required: false, owner: owner)
            guard let host else { return nil }
            return .redis(RedisConnection(host: host, port: port, username: username, password: password))
        case .command:
            let argv = object.stringArray("argv", required: "the program and its arguments, e.g. [\"sqlite3\", \"/srv/app.db\", \".dump\"]")
            if let argv, argv.first?.isEmpty ?? true {
                reader.error(object.raw("argv"), object.childPath("argv"), "must name a program as its first element")
            }
            let restoreArgv = object.stringArray("restoreArgv")
            if let restoreArgv, restoreArgv.first?.isEmpty ?? true {
                reader.error(object.raw("restoreArgv"), object.childPath("restoreArgv"), "must name a program as its first element")
            }
            var fileExtension = ".bin"
            if let ext = object.string("extension") {
                let bare = ext.hasPrefix(".") ? String(ext.dropFirst()) : ext
                if bare.isEmpty || !bare.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "_" }) {
                    reader.error(object.raw("extension"), object.childPath("extension"), "\(ConfigReader.quote(ext)) is not a file extension; use letters and digits such as \"tar\" or \"db\"")
                } else {
                    fileExtension = "." + bare
                }
            }
            var environment: [String: Secret] = [:]
            if let envValue = object.raw("environment"), let envObject = ObjectReader(envValue, path: object.childPath("environment"), reader: reader, what: "an object of environment variables") {
                if case .object(let members) = envValue.kind {
                    for member in members {
                        if member.key.isEmpty || member.key.contains("=") || member.key.unicodeScalars.contains(where: { $0.value == 0 }) {
                            reader.error(at: member.keyPosition, envObject.childPath(member.key), "\(ConfigReader.quote(member.key)) is not a valid environment variable name")
                        }
                        if let s = secret(envObject, member.key, required: false, literalWarning: false, owner: owner) { environment[member.key] = s }
                    }
                }
                envObject.finish()
            }
            guard let argv, !argv.isEmpty, !argv[0].isEmpty else { return nil }
            return .command(CommandConnection(argv: argv, restoreArgv: restoreArgv, fileExtension: fileExtension, environment: environment))
        }
    }

    // MARK: - Shared pieces

    func array(_ object: ObjectReader, _ key: String, hint: String) -> [JSONValue]? {
        guard let value = object.raw(key) else {
            object.missing(key, hint)
            return nil
        }
        guard case .array(let items) = value.kind else {
            reader.error(value, object.childPath(key), "expected an array, found \(value.typeDescription)")
            return nil
        }
        return items
    }

    /// `jobs["app-db"]` when the element has a usable name, else `jobs[2]`.
    func elementPath(_ key: String, _ index: Int, _ item: JSONValue) -> String {
        if let name = nameOf(item), !name.isEmpty { return "\(key)[\(ConfigReader.quote(name))]" }
        return "\(key)[\(index)]"
    }

    func nameOf(_ item: JSONValue) -> String? {
        guard case .object(let members) = item.kind, let member = members.first(where: { $0.key == "name" }),
              case .string(let name) = member.value.kind else { return nil }
        return name
    }

    func validName(_ object: ObjectReader, _ key: String, what: String) -> String? {
        guard let name = object.string(key, required: "a unique \(what) name (\(Self.namePattern))") else { return nil }
        let ok = name.utf8.count <= 64 && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
        } && !name.hasPrefix(".")
        if !ok {
            reader.error(object.raw(key), object.childPath(key), "\(ConfigReader.quote(name)) is not a valid \(what) name; use \(Self.namePattern), not starting with '.'")
            return nil
        }
        return name
    }

    func zone(_ object: ObjectReader, _ key: String) -> ZoneRules? {
        guard let identifier = object.string(key) else { return nil }
        do {
            return try ZoneRules.load(identifier: identifier)
        } catch {
            reader.error(object.raw(key), object.childPath(key), "\(ConfigReader.quote(identifier)) is not a known time zone: \(error.reason)")
            return nil
        }
    }

    func duration(_ object: ObjectReader, _ key: String) -> Duration? {
        guard let value = object.raw(key) else { return nil }
        guard case .string(let text) = value.kind, let duration = DurationText.parse(text) else {
            reader.error(value, object.childPath(key), "\(ConfigReader.render(value)) is not a duration; use a whole number followed by s, m, h or d, such as \"90m\", \"2h\" or \"1h30m\"")
            return nil
        }
        return duration
    }

    /// A credential: a literal string, `{"env": "NAME"}` or `{"file": "/path"}`. Its value never
    /// appears in a message. Outside the loader's `secrets` filter only its form is checked and it
    /// stays an unresolved reference.
    func secret(_ object: ObjectReader, _ key: String, required: Bool, literalWarning: Bool = true, owner: SecretOwner? = nil) -> Secret? {
        let path = object.childPath(key)
        let forms = "a string, {\"env\": \"VARIABLE\"} or {\"file\": \"/path/to/file\"}"
        guard let value = object.raw(key) else {
            if required { object.missing(key, "give it as \(forms)") }
            return nil
        }
        switch value.kind {
        case .string(let literal):
            if literal.isEmpty {
                reader.error(value, path, "must not be empty; give it as \(forms)")
                return nil
            }
            if literalWarning, let mode = sources.permissions(file), mode & 0o004 != 0 {
                reader.warning(value, path, "a literal secret in a file readable by every user (mode \(String(mode, radix: 8))); run chmod 640 on \(file) or use {\"env\": ...} or {\"file\": ...}")
            }
            return Secret(literal)
        case .object(let members):
            guard members.count == 1, let member = members.first, member.key == "env" || member.key == "file" else {
                let keys = members.map { ConfigReader.quote($0.key) }.joined(separator: ", ")
                reader.error(value, path, "a secret object must have exactly one key, \"env\" or \"file\"; found \(keys.isEmpty ? "none" : keys)")
                return nil
            }
            guard case .string(let reference) = member.value.kind, !reference.isEmpty else {
                reader.error(member.value, ConfigReader.join(path, member.key), "expected a non-empty string, found \(member.value.typeDescription)")
                return nil
            }
            if member.key == "env" {
                guard secrets.includes(owner) else { return Secret(unresolved: .environment(reference)) }
                guard let variable = sources.environment[reference] else {
                    reader.error(member.value, ConfigReader.join(path, "env"), "environment variable \(reference) is not set; set it in the environment of backupd (for systemd: Environment= or EnvironmentFile= in a drop-in)")
                    return nil
                }
                guard !variable.isEmpty else {
                    reader.error(member.value, ConfigReader.join(path, "env"), "environment variable \(reference) is empty")
                    return nil
                }
                return Secret(variable, from: .environment(reference))
            }
            guard reference.hasPrefix("/") else {
                reader.error(member.value, ConfigReader.join(path, "file"), "\(ConfigReader.quote(reference)) is not an absolute path")
                return nil
            }
            guard secrets.includes(owner) else { return Secret(unresolved: .file(reference)) }
            let bytes: [UInt8]
            do {
                bytes = try sources.readFile(reference, ConfigSources.maxSecretFileSize)
            } catch {
                reader.error(member.value, ConfigReader.join(path, "file"), Self.secretFileProblem(error, path: reference))
                return nil
            }
            var text = String(decoding: bytes, as: UTF8.self)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else {
                reader.error(member.value, ConfigReader.join(path, "file"), "secret file \(reference) is empty")
                return nil
            }
            if let mode = sources.permissions(reference), mode & 0o004 != 0 {
                reader.warning(member.value, ConfigReader.join(path, "file"), "secret file \(reference) is readable by every user (mode \(String(mode, radix: 8))); run chmod 600 on it")
            }
            return Secret(text, from: .file(reference))
        default:
            reader.error(value, path, "expected \(forms), found \(value.typeDescription)")
            return nil
        }
    }
}
