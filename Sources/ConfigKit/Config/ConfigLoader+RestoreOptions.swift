/// Reading a job's `"restoreOptions"`.
extension ConfigLoader {
    /// Every key `restoreOptions` may hold (for some engine).
    static let restoreOptionKeys = ["keepOwner", "role", "singleTransaction", "jobs"]

    /// Reads `restoreOptions` for a job of `engine`, reporting keys the engine has no use for.
    func readRestoreOptions(_ value: JSONValue, path: String, engine: Engine?) -> JobRestoreOptions? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "restore options") else { return nil }
        var options = JobRestoreOptions()
        options.keepOwner = object.bool("keepOwner")
        options.singleTransaction = object.bool("singleTransaction")
        if let role = object.string("role") {
            if role.utf8.count > 63 || role.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                reader.error(
                    object.raw("role"), object.childPath("role"),
                    "\(ConfigReader.quote(role)) is not a valid role name; use at most 63 bytes and no control characters, e.g. \"app_owner\"")
            } else {
                options.role = role
            }
        }
        if object.has("jobs") {
            if engine == .postgres {
                reader.error(
                    object.raw("jobs"), object.childPath("jobs"),
                    "pg_restore restores in parallel only from a file, and backupd streams the backup into its standard input; remove \"jobs\"")
                _ = object.raw("jobs")
            } else {
                options.jobs = object.integer("jobs", in: 1...64)
            }
        }
        object.finish()
        if let engine {
            let allowed = JobRestoreOptions.keys(for: engine)
            for key in Self.restoreOptionKeys where object.has(key) && !allowed.contains(key) && !(key == "jobs" && engine == .postgres) {
                let valid = allowed.isEmpty ? "\(engine.rawValue) jobs take no restore options" : "\(engine.rawValue) jobs take \(allowed.joined(separator: ", "))"
                reader.error(object.raw(key), object.childPath(key), "\"\(key)\" does nothing for a \(engine.rawValue) job; \(valid)")
            }
        }
        return options
    }
}
