import BackupCore
import Foundation

/// Reads `"notify": {"webhooks": [...], "healthchecks": URL, "format": "json"|"ntfy"}`.
extension ConfigLoader {
    func readNotify(_ value: JSONValue, path: String) -> NotifyConfig? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "notification settings") else { return nil }
        var webhooks: [Secret] = []
        if let list = object.raw("webhooks") {
            if case .array(let items) = list.kind {
                for index in items.indices {
                    let itemPath = "\(object.childPath("webhooks"))[\(index)]"
                    if let url = notifyURL(items[index], path: itemPath) { webhooks.append(url) }
                }
            } else {
                reader.error(list, object.childPath("webhooks"), "expected an array of URLs (each a string, {\"env\": ...} or {\"file\": ...}), found \(list.typeDescription)")
            }
        }
        let healthchecks = object.raw("healthchecks").flatMap { notifyURL($0, path: object.childPath("healthchecks")) }
        let format = object.choice("format", NotifyConfig.Format.self) ?? NotifyConfig.defaultFormat
        object.finish()
        return NotifyConfig(webhooks: webhooks, healthchecks: healthchecks, format: format)
    }

    /// A webhook or ping URL, which may be a secret reference; messages never show it.
    func notifyURL(_ value: JSONValue, path: String) -> Secret? {
        // `secret` reads a member of an object: wrap the value as the only member of one, then
        // re-home its problems from that member's path onto `path`.
        let holder = JSONValue(.object([(key: "url", keyPosition: value.position, value: value)]), at: value.position)
        let shadow = ConfigReader(file: reader.file)
        guard let wrapper = ObjectReader(holder, path: "", reader: shadow, what: "a URL") else { return nil }
        let resolved = ConfigLoader(reader: shadow, sources: sources, file: file).secret(wrapper, "url", required: true, literalWarning: false)
        for problem in shadow.problems {
            let rehomed = path + problem.path.dropFirst("url".count)
            if problem.severity == .error {
                reader.error(at: problem.position, rehomed, problem.message)
            } else {
                reader.warning(value, rehomed, problem.message)
            }
        }
        guard let url = resolved else { return nil }
        guard let components = URLComponents(string: url.value), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty
        else {
            reader.error(value, path, "is not an http(s) URL; expected one such as \"https://hc-ping.com/UUID\" (the value is not shown: it may hold a token)")
            return nil
        }
        if scheme == "http" && !Self.isLoopback(host) {
            reader.warning(value, path, "uses plain http to a non-loopback host: the notification (and any token in the URL) travels unencrypted; prefer https")
        }
        return url
    }
}
