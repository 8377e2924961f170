import Foundation

/// The MariaDB test server: a superuser with a password, reached over TCP.
struct MariaDBTestServer: Sendable {
    let host: String
    let port: Int
    let user: String
    let password: String

    /// The environment that gives the mariadb client the password (never argv).
    var clientEnvironment: [String: String] { ["MYSQL_PWD": password] }

    /// Creates an empty database with a name no other test uses and returns that name.
    func createDatabase(prefix: String = "t") throws -> String {
        let name = TestServers.uniqueName(prefix)
        _ = try mariadb("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4")
        return name
    }

    /// Drops a database made by `createDatabase`.
    func dropDatabase(_ name: String) throws {
        _ = try mariadb("DROP DATABASE IF EXISTS `\(name)`")
    }

    /// Runs SQL with the mariadb client (batch mode, no column names) and returns its output.
    func mariadb(_ sql: String, database: String? = nil) throws -> String {
        var arguments = ["--no-defaults", "--protocol=TCP", "-h", host, "-P", String(port), "-u", user,
                         "--batch", "--skip-column-names", "--connect-timeout=10"]
        if let database { arguments.append(database) }
        return try ClientTool(name: "mariadb").run(arguments, environment: clientEnvironment, input: sql)
    }
}
