import BackupCore
import Cron
import Foundation

/// The pieces every section reads: arrays, names, zones, durations, secrets.
extension ConfigLoader {
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
