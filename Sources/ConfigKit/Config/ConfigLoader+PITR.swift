/// Reads a job's `"pitr": {"archiveUser": "postgres"}`.
extension ConfigLoader {
    /// The settings, or nil (after reporting) when they are missing or wrong. A PITR job is a
    /// whole-cluster physical backup: it must be a `postgres` job without `tables` or `globals`.
    func readPITR(_ object: ObjectReader, engine: Engine?, connection: ConnectionConfig?) -> PITRSettings? {
        guard let value = object.raw("pitr") else { return nil }
        let path = object.childPath("pitr")
        if let engine, engine != .postgres {
            reader.error(value, path, "point-in-time recovery is for postgres jobs, not \(engine.rawValue); remove \"pitr\"")
            return nil
        }
        guard let settings = ObjectReader(value, path: path, reader: reader, what: "PITR settings") else { return nil }
        let user = settings.string("archiveUser", required: "the user PostgreSQL's server runs as (usually \"postgres\"), whom the control socket admits for wal-push")
        let maxLag = duration(settings, "maxArchiveLag")
        let maxBacklog = settings.integer("maxArchiveBacklog", in: 0...1_000_000)
        let drillTimeout = duration(settings, "drillTimeout")
        settings.finish()
        var valid = true
        if object.has("tables") {
            reader.error(object.raw("tables"), object.childPath("tables"), "a PITR job backs up the whole cluster (pg_basebackup and its WAL), so it cannot select tables; remove \"tables\", or take the selection in a second, non-PITR job")
            valid = false
        }
        if case .sql(let sql)? = connection, sql.globals {
            reader.error(value, ConfigReader.join(object.childPath("connection"), "globals"), "a PITR job's base backup already holds the roles (it copies the whole cluster); remove \"globals\"")
            valid = false
        }
        guard let user else { return nil }
        guard let uid = PITRSettings.uid(ofUser: user) else {
            reader.error(settings.raw("archiveUser"), settings.childPath("archiveUser"), "\(ConfigReader.quote(user)) is not a user on this host; give the user PostgreSQL's server runs as (see the owner of its data directory, usually \"postgres\")")
            return nil
        }
        return valid ? PITRSettings(archiveUser: user, archiveUID: uid, maxArchiveLag: maxLag, maxArchiveBacklog: maxBacklog,
            drillTimeout: drillTimeout ?? PITRSettings.defaultDrillTimeout) : nil
    }
}
