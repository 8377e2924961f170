import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A PostgreSQL login like the quickstart's `backup` role (LOGIN with a password and, unless
/// `readAll` is false, `pg_read_all_data`; no CREATEDB, no superuser), a source database owned by
/// the test superuser with tables, a view and sequences, a fresh bucket, and a config whose job
/// `app` backs the source up as that role. `cleanUp()` drops the databases and the role.
final class LeastPrivilegeFixture {
    let server: PostgresTestServer
    let role: String
    let password: String
    let source: String
    let state: String
    let configPath: String
    let destination: TestDestination
    private(set) var databases: [String] = []

    init(readAll: Bool = true) async throws {
        server = try TestServers.postgres()
        role = TestServers.uniqueName("lp")
        password = (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        _ = try server.psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'" + (readAll ? "; GRANT pg_read_all_data TO \(role)" : ""), database: "postgres")
        source = try server.createDatabase(prefix: "lpsrc")
        databases.append(source)
        _ = try server.psql("""
            CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, city text NOT NULL);
            CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, total numeric(10,2));
            INSERT INTO customers (name, city) SELECT 'Kunde ' || i, (ARRAY['Zürich', 'Köln', '東京'])[1 + i % 3] FROM generate_series(1, 300) AS i;
            INSERT INTO orders (customer_id, total) SELECT 1 + i % 300, (i % 50) + 0.99 FROM generate_series(1, 2000) AS i;
            CREATE VIEW revenue_by_city AS SELECT c.city, sum(o.total) AS revenue FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.city;
            """, database: source)
        destination = try await TestDestination.make()
        state = FileManager.default.temporaryDirectory.path + "/backupd-lp-\(UUID().uuidString)"
        configPath = state + ".json"
        try writeConfig()
    }

    /// Writes the config: job `app` as the role (its password from `LP_PG_PASSWORD`), `job`'s keys over the defaults.
    func writeConfig(job overrides: [String: Any] = [:], connection extra: [String: Any] = [:], destination destinationOverrides: [String: Any] = [:]) throws {
        var connection: [String: Any] = [
            "host": server.host, "port": server.port, "username": role, "password": ["env": "LP_PG_PASSWORD"], "database": source,
        ]
        for (key, value) in extra { connection[key] = value }
        var job: [String: Any] = [
            "name": "app", "engine": "postgres", "schedule": "0 3 * * *", "destination": "test", "prefix": "lp/\(source)", "connection": connection,
        ]
        for (key, value) in overrides { job[key] = value }
        var target = destination.json
        for (key, value) in destinationOverrides { target[key] = value }
        let root: [String: Any] = ["stateDirectory": state, "destinations": [target], "jobs": [job]]
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
    }

    /// A new database owned by the role (made by the superuser, as an administrator would).
    func databaseOwnedByRole(prefix: String = "lpdst") throws -> String {
        let name = TestServers.uniqueName(prefix)
        _ = try server.psql("CREATE DATABASE \(name) OWNER \(role)", database: "postgres")
        databases.append(name)
        return name
    }

    /// Runs the built binary with this config and the role's password (or `password`) in the environment.
    func backupd(_ arguments: [String], password: String? = nil, environment extra: [String: String] = [:], timeout: Double = 120) throws
        -> (status: Int32, stdout: String, stderr: String, seconds: Double)
    {
        var environment = Pipeline.defaultEnvironment
        environment["LP_PG_PASSWORD"] = password ?? self.password
        for (key, value) in extra { environment[key] = value }
        let started = Date()
        let result = try runBackupd(arguments + ["--config", configPath], environment: environment, timeout: timeout)
        return (result.status, result.stdout, result.stderr, Date().timeIntervalSince(started))
    }

    /// The history of this fixture's state directory.
    func history() throws -> HistoryStore { try HistoryStore(stateDirectory: state, readOnly: true) }

    func cleanUp() {
        for database in databases { try? server.dropDatabase(database) }
        _ = try? server.psql("DROP ROLE IF EXISTS \(role)", database: "postgres")
        try? FileManager.default.removeItem(atPath: state)
        try? FileManager.default.removeItem(atPath: configPath)
    }

    /// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
    static func closedPort() throws -> Int {
        let (fd, port) = try LoopbackSocket.listen(what: "a closed port")
        close(fd)
        return port
    }
}
