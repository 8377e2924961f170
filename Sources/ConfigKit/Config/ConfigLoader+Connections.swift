import BackupCore
import Cron
import Foundation

/// Reading a job's connection, by engine.
extension ConfigLoader {
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
}
