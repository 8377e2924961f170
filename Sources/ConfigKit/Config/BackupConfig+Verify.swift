import Cron

extension BackupConfig {
    /// The verification settings that apply to `job`: its own over the top level's. A top-level
    /// `restoreTo` applies only to jobs whose engine has restore drills, `restoreToDir` only to PITR jobs.
    public func verifySettings(for job: JobConfig) -> VerifySettings? {
        guard job.verify != nil || verify != nil else { return nil }
        var settings = (job.verify ?? VerifySettings()).over(verify)
        if job.verify?.restoreTo == nil, ![.postgres, .mysql].contains(job.engine) { settings.restoreTo = nil }
        // A base backup is no pg_restore archive: a PITR job drills with `restoreToDir` only.
        if job.pitr == nil { settings.restoreToDir = nil } else { settings.restoreTo = nil }
        return settings
    }
}

extension ConfigLoader {
    /// Reads a `verify` object at `path`; `engine` is the job's (nil at the top level).
    func readVerify(_ value: JSONValue, path: String, engine: Engine?, topLevel: Bool) -> VerifySettings? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "verification settings") else { return nil }
        var settings = VerifySettings()
        if object.has("schedule") { settings.schedule = cron(object) }
        settings.afterBackup = object.bool("afterBackup")
        if let scratch = object.string("restoreTo") {
            if !VerifySettings.isValidScratchName(scratch) {
                reader.error(
                    object.raw("restoreTo"), object.childPath("restoreTo"),
                    "\(ConfigReader.quote(scratch)) is not a valid scratch database name; use letters, digits and '_' (starting with a letter, at most 63 characters), e.g. \"backupd_drill\"")
            } else if let engine, ![.postgres, .mysql].contains(engine) {
                reader.error(
                    object.raw("restoreTo"), object.childPath("restoreTo"),
                    "restore drills are for postgres and mysql jobs, not \(engine.rawValue); remove \"restoreTo\" (the scheduled verification still checks digests and format)")
            } else {
                settings.restoreTo = scratch
            }
        }
        if let directory = object.string("restoreToDir") {
            if !directory.hasPrefix("/") {
                reader.error(
                    object.raw("restoreToDir"), object.childPath("restoreToDir"),
                    "\(ConfigReader.quote(directory)) is not an absolute path; give the directory under which a PITR job's restore drill makes its scratch directory, e.g. \"/var/lib/backupd/drills\"")
            } else if let engine, engine != .postgres {
                reader.error(
                    object.raw("restoreToDir"), object.childPath("restoreToDir"),
                    "PITR restore drills are for postgres jobs with \"pitr\", not \(engine.rawValue); remove \"restoreToDir\"")
            } else {
                settings.restoreToDir = directory
            }
        }
        object.finish()
        if case .object(let members) = value.kind, members.isEmpty {
            reader.error(value, path, "empty verification settings do nothing; set \"schedule\" (a cron expression), \"afterBackup\": true, or both")
            return nil
        }
        if !topLevel, settings.restoreTo != nil, settings.schedule == nil, object.has("restoreTo") {
            reader.warning(
                object.raw("restoreTo"), object.childPath("restoreTo"),
                "\"restoreTo\" runs with the scheduled verification; without a \"schedule\" here it uses the top level's, if any")
        }
        return settings
    }
}
