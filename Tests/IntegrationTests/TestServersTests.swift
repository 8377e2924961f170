import Foundation
import Testing
import TestThreads

/// Proves the test-server fixtures work: each server is reachable with the credentials
/// scripts/test.sh exported, answers a query, and refuses a wrong password.
@Suite(.ownThreads) struct TestServersTests {
    /// PostgreSQL: a fresh database takes a table and returns its row; a wrong password is refused.
    @Test func postgresAnswersInAFreshDatabase() throws {
        let server = try TestServers.postgres()
        let database = try server.createDatabase(prefix: "smoke")
        defer { try? server.dropDatabase(database) }
        let output = try server.psql(
            "CREATE TABLE t (id int, name text); INSERT INTO t VALUES (1, 'grüße'); SELECT id, name FROM t;",
            database: database)
        #expect(output.trimmingCharacters(in: .newlines) == "1|grüße")

        let impostor = PostgresTestServer(host: server.host, port: server.port, user: server.user, password: "wrong")
        #expect(throws: TestServerError.self) { try impostor.psql("SELECT 1", database: "postgres") }
    }

    /// MariaDB: a fresh database takes a table and returns its row; a wrong password is refused.
    @Test func mariadbAnswersInAFreshDatabase() throws {
        let server = try TestServers.mariadb()
        let database = try server.createDatabase(prefix: "smoke")
        defer { try? server.dropDatabase(database) }
        let output = try server.mariadb(
            "CREATE TABLE t (id INT, name TEXT); INSERT INTO t VALUES (1, 'grüße'); SELECT id, name FROM t;",
            database: database)
        #expect(output.trimmingCharacters(in: .newlines) == "1\tgrüße")

        let impostor = MariaDBTestServer(host: server.host, port: server.port, user: server.user, password: "wrong")
        #expect(throws: TestServerError.self) { try impostor.mariadb("SELECT 1") }
    }

    /// Redis: a value set in an allocated database reads back; without the password it is refused.
    @Test func redisAnswersWithItsPassword() throws {
        let server = try TestServers.redis()
        let database = try server.allocateDatabase()
        #expect(try server.redisCLI(["SET", "smoke", "grüße"], database: database).contains("OK"))
        #expect(try server.redisCLI(["GET", "smoke"], database: database).trimmingCharacters(in: .newlines) == "grüße")

        // redis-cli reports the refusal in its output and still exits 0.
        let impostor = RedisTestServer(host: server.host, port: server.port, password: "wrong")
        let refused = try impostor.redisCLI(["GET", "smoke"], database: database)
        #expect(refused.contains("NOAUTH"))
        #expect(!refused.contains("grüße"))
    }
}
