/// Reads a job's `"tables": {"include": [...], "exclude": [...], "excludeData": [...]}`.
extension ConfigLoader {
    /// The keys of `tables`, in the order they are documented.
    static let tableListKeys = ["include", "exclude", "excludeData"]

    /// The selection, or nil (after reporting) when it is missing or wrong. `database` is the
    /// connection's database, to tell a MySQL pattern qualified with another database apart.
    func readTables(_ object: ObjectReader, engine: Engine?, database: String?) -> TableSelection? {
        guard let value = object.raw("tables") else { return nil }
        let path = object.childPath("tables")
        if let engine, engine != .postgres, engine != .mysql {
            reader.error(value, path, "table selection is for postgres and mysql jobs, not \(engine.rawValue); remove \"tables\"")
            return nil
        }
        guard let settings = ObjectReader(value, path: path, reader: reader, what: "a table selection") else { return nil }
        var lists: [String: [String]] = [:]
        var valid = true
        for key in Self.tableListKeys {
            guard let raw = settings.raw(key) else { continue }
            guard let patterns = settings.stringArray(key) else {
                valid = false
                continue
            }
            if patterns.isEmpty {
                reader.error(raw, settings.childPath(key), "is an empty list, which selects nothing; list at least one table pattern such as \"logs\" or \"audit_*\", or remove \"\(key)\"")
                valid = false
                continue
            }
            guard case .array(let items) = raw.kind else { continue }
            var seen = Set<String>()
            for (index, (pattern, item)) in zip(patterns, items).enumerated() {
                let itemPath = "\(settings.childPath(key))[\(index)]"
                if let problem = Self.patternProblem(pattern, engine: engine, database: database) {
                    reader.error(item, itemPath, problem)
                    valid = false
                } else if !seen.insert(pattern).inserted {
                    reader.warning(item, itemPath, "\(ConfigReader.quote(pattern)) is listed twice in \"\(key)\"; remove one")
                } else if let advice = Self.patternAdvice(pattern, engine: engine) {
                    reader.warning(item, itemPath, advice)
                }
            }
            lists[key] = patterns
        }
        if settings.has("include") || settings.has("exclude") || settings.has("excludeData") {
            overlapWarnings(settings, lists)
        } else {
            reader.error(value, path, "selects nothing; give at least one of \"include\", \"exclude\" or \"excludeData\" (lists of table patterns), or remove \"tables\" to back up every table")
            valid = false
        }
        settings.finish()
        guard valid else { return nil }
        return TableSelection(include: lists["include"] ?? [], exclude: lists["exclude"] ?? [], excludeData: lists["excludeData"] ?? [])
    }

    /// Warns about a pattern that appears in two lists where one makes the other pointless.
    private func overlapWarnings(_ settings: ObjectReader, _ lists: [String: [String]]) {
        let excluded = Set(lists["exclude"] ?? [])
        for (key, effect) in [("include", "exclude wins, so it is not dumped"), ("excludeData", "an excluded table is not dumped at all, so \"excludeData\" changes nothing for it")] {
            guard let patterns = lists[key], case .array(let items)? = settings.raw(key)?.kind else { continue }
            for (index, (pattern, item)) in zip(patterns, items).enumerated() where excluded.contains(pattern) {
                reader.warning(item, "\(settings.childPath(key))[\(index)]", "\(ConfigReader.quote(pattern)) is also in \"exclude\": \(effect); remove it from one of the lists")
            }
        }
    }

    /// What makes `pattern` unusable for `engine`'s dump tool, or nil.
    static func patternProblem(_ pattern: String, engine: Engine?, database: String?) -> String? {
        let shown = ConfigReader.quote(pattern)
        if pattern.isEmpty { return "must not be empty; give a table name or pattern such as \"logs\" or \"audit_*\"" }
        if pattern.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "\(shown) contains a control character; table patterns are names with * and ? wildcards"
        }
        if pattern.utf8.count > 500 { return "is \(pattern.utf8.count) bytes long; a table pattern is at most 500 bytes" }
        switch engine {
        case .postgres?:
            let parts = PostgresTablePattern.split(pattern)
            guard let parts else { return "\(shown) has an unmatched double quote; quote a whole name, e.g. \"\\\"Audit Log\\\"\"" }
            if parts.count > 2 {
                return "\(shown) has \(parts.count) dotted names; a table pattern is \"table\" or \"schema.table\" (the job's database is implied)"
            }
            if parts.contains(where: \.isEmpty) { return "\(shown) has an empty name around a '.'; write \"table\" or \"schema.table\"" }
        case .mysql?:
            if let dot = pattern.firstIndex(of: ".") {
                let qualifier = String(pattern[..<dot])
                let name = String(pattern[pattern.index(after: dot)...])
                let hint = database.map { " of the job's database \(ConfigReader.quote($0))" } ?? ""
                return "\(shown): MySQL patterns name tables\(hint) without a database; write \(ConfigReader.quote(name)) rather than \(ConfigReader.quote(qualifier + "." + name)) (a table of another database needs its own job)"
            }
        default: break
        }
        return nil
    }

    /// A warning for a valid pattern that probably does not do what was meant, or nil.
    static func patternAdvice(_ pattern: String, engine: Engine?) -> String? {
        let shown = ConfigReader.quote(pattern)
        if pattern != pattern.trimmingCharacters(in: .whitespaces) {
            return "\(shown) starts or ends with a space, which is part of the pattern; remove it unless the table's name has one"
        }
        if engine == .postgres, let parts = PostgresTablePattern.split(pattern),
           parts.contains(where: \.foldsCase) {
            return "\(shown) has upper-case letters outside double quotes, which pg_dump folds to lower case; for a mixed-case name quote it, e.g. \(ConfigReader.quote("\"" + pattern + "\""))"
        }
        return nil
    }
}
