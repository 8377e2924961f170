import Cron
import Foundation

/// Reading a job: name, engine, schedule, prefix.
extension ConfigLoader {
    func readJob(_ value: JSONValue, path: String, defaultZone: ZoneRules?, destinationNames: [String]) -> JobConfig? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "a job") else { return nil }
        let name = validName(object, "name", what: "job")
        let engine = object.choice("engine", Engine.self, required: "one of \(Engine.allCases.map(\.rawValue).joined(separator: ", "))")
        let zone = object.has("timeZone") ? self.zone(object, "timeZone") : defaultZone
        let schedule = cron(object)
        let targets = readJobDestinations(object, destinationNames: destinationNames)
        let destinations = targets.flatMap { $0.names.isEmpty ? nil : $0.names }
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
        let allowEmpty = readAllowEmpty(object, engine: engine)
        let suspiciousBelow = readSuspiciousBelow(object)
        var database: String?
        if case .sql(let sql)? = connection { database = sql.database }
        let tables = readTables(object, engine: engine, database: database)
        let pitr = readPITR(object, engine: engine, connection: connection)
        let restoreOptions = object.raw("restoreOptions").flatMap { readRestoreOptions($0, path: object.childPath("restoreOptions"), engine: engine) }
        let runOn = readRunOn(object)
        object.finish(validKeys: Self.runExtraKeys)
        guard let name, let engine, let schedule, let zone, let destinations, let prefix, let connection else { return nil }
        var job = JobConfig(
            name: name, engine: engine, schedule: schedule, timeZone: zone, destinations: destinations,
            prefix: prefix, connection: connection, compression: compression, timeout: timeout,
            enabled: enabled, catchUp: catchUp, retention: retention, compressionOptions: compressionOptions)
        job.verify = verify
        job.expectedSize = expectedSize
        job.allowEmpty = allowEmpty
        job.suspiciousBelow = suspiciousBelow
        job.tables = tables
        job.restoreOptions = restoreOptions
        job.runOn = runOn
        job.pitr = pitr
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
        } else if let dots = prefix.split(separator: "/").first(where: { $0 == "." || $0 == ".." }) {
            reader.error(value, path, "\(shown) must not contain a \"\(dots)\" segment: S3 keys are not paths and tools that treat them as paths would resolve it elsewhere; write the prefix without it, e.g. \"backups/app\"")
        } else if prefix.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            reader.error(value, path, "\(shown) must not contain control characters")
        } else if prefix.utf8.count > 512 {
            reader.error(value, path, "is \(prefix.utf8.count) bytes long; keep it under 512 bytes (S3 keys are at most 1024)")
        } else {
            return prefix
        }
        return nil
    }
}
