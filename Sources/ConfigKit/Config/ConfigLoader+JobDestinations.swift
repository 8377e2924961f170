/// A job's destinations as read from `"destination"` or `"destinations"`.
struct JobDestinations {
    /// The destination names in file order (`JobConfig.destinations`).
    var names: [String]
    /// Retention overrides by destination name.
    var retention: [String: RetentionPolicy]
}

extension ConfigLoader {
    /// Reads a job's `"destination": "NAME"` or `"destinations": ["a", {"name": "b", "retention": {...}}]`
    /// (exactly one of the two), checking every name against the defined destinations.
    func readJobDestinations(_ object: ObjectReader, destinationNames: [String]) -> JobDestinations? {
        let single = object.raw("destination")
        let list = object.raw("destinations")
        if single != nil, let list {
            reader.error(list, object.childPath("destinations"), "a job takes either \"destination\" (one name) or \"destinations\" (a list), not both; move the name of \"destination\" into the list")
            return nil
        }
        guard let list else {
            guard let name = object.string("destination", required: "the name of one of the destinations (or \"destinations\": [\"a\", \"b\"] to upload each dump to several)") else { return nil }
            guard knownDestination(name, value: single, path: object.childPath("destination"), names: destinationNames) else { return nil }
            return JobDestinations(names: [name], retention: [:])
        }
        let path = object.childPath("destinations")
        guard case .array(let items) = list.kind else {
            reader.error(list, path, "expected an array of destination names (or {\"name\": ..., \"retention\": {...}} objects), found \(list.typeDescription) \(ConfigReader.render(list))")
            return nil
        }
        if items.isEmpty {
            reader.error(list, path, "must name at least one destination; defined destinations: \(destinationNames.joined(separator: ", "))")
            return nil
        }
        var result = JobDestinations(names: [], retention: [:])
        var valid = true
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let (name, retention) = readJobDestination(item, path: itemPath) else {
                valid = false
                continue
            }
            if let first = result.names.firstIndex(of: name) {
                reader.error(item, itemPath, "destination \(ConfigReader.quote(name)) is listed twice (also \(path)[\(first)]); list each destination once")
                valid = false
                continue
            }
            if !knownDestination(name, value: item, path: itemPath, names: destinationNames) { valid = false }
            result.names.append(name)
            if let retention { result.retention[name] = retention }
        }
        return valid ? result : nil
    }

    /// One element of `"destinations"`: a name, or an object with `name` and an optional `retention`.
    private func readJobDestination(_ item: JSONValue, path: String) -> (String, RetentionPolicy?)? {
        switch item.kind {
        case .string(let name) where !name.isEmpty:
            return (name, nil)
        case .object:
            guard let entry = ObjectReader(item, path: path, reader: reader, what: "a destination entry") else { return nil }
            let name = entry.string("name", required: "the name of one of the destinations")
            let retention = entry.raw("retention").flatMap { readRetention($0, path: entry.childPath("retention")) }
            let retentionValid = !entry.has("retention") || retention != nil
            entry.finish()
            guard let name, retentionValid else { return nil }
            return (name, retention)
        default:
            reader.error(item, path, "expected a destination name or {\"name\": \"NAME\", \"retention\": {...}}, found \(item.typeDescription) \(ConfigReader.render(item))")
            return nil
        }
    }

    /// Reports a name that is not a defined destination, with a "did you mean" suggestion.
    private func knownDestination(_ name: String, value: JSONValue?, path: String, names: [String]) -> Bool {
        guard !names.contains(name) else { return true }
        var message = "no destination is named \(ConfigReader.quote(name))"
        if let guess = Suggestion.closest(to: name, in: names) { message += " (did you mean \"\(guess)\"?)" }
        message += names.isEmpty ? "; add it under \"destinations\"" : "; defined destinations: \(names.joined(separator: ", "))"
        reader.error(value, path, message)
        return false
    }
}
