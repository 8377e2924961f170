/// Reads `"metrics": {"textfile": PATH, "listen": "127.0.0.1:9187"}`.
extension ConfigLoader {
    func readMetrics(_ value: JSONValue, path: String) -> MetricsConfig? {
        guard let object = ObjectReader(value, path: path, reader: reader, what: "metrics settings") else { return nil }
        var textfile = object.string("textfile")
        if let file = textfile {
            if !file.hasPrefix("/") {
                reader.error(object.raw("textfile"), object.childPath("textfile"), "\(ConfigReader.quote(file)) is not an absolute path; use one such as \"/var/lib/node_exporter/textfile/backupd.prom\"")
                textfile = nil
            } else if !file.hasSuffix(".prom") {
                reader.error(object.raw("textfile"), object.childPath("textfile"), "\(ConfigReader.quote(file)) does not end in .prom, so node_exporter's textfile collector would ignore it")
                textfile = nil
            }
        }
        var listen: BindAddress?
        if let text = object.string("listen") {
            switch BindAddress.parse(text) {
            case .success(let address):
                listen = address
                if !address.isLoopback {
                    reader.warning(object.raw("listen"), object.childPath("listen"), "\(ConfigReader.quote(text)) is not a loopback address: the metrics (job names, sizes, times) are served without authentication to whoever can reach it")
                }
            case .failure(let error):
                reader.error(object.raw("listen"), object.childPath("listen"), "\(ConfigReader.quote(text)) \(error.description)")
            }
        }
        object.finish()
        if object.has("textfile") == false && object.has("listen") == false {
            reader.error(value, path, "set \"textfile\" (a node_exporter textfile path) or \"listen\" (such as \"127.0.0.1:9187\"), or remove \"metrics\"")
        }
        return MetricsConfig(textfile: textfile, listen: listen)
    }
}
