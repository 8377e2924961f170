import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("check: MySQL grants that let a dump read every table and routine", .ownThreads)
struct DatabaseCheckerGrantsTests {
    /// SELECT on the database or globally (also through ALL PRIVILEGES) covers every table; grants
    /// on single tables, on another database or without SELECT do not.
    @Test(arguments: [
        (["GRANT USAGE ON *.* TO `b`@`%`", "GRANT SELECT, SHOW VIEW, TRIGGER ON `shop`.* TO `b`@`%`"], true),
        (["GRANT SELECT ON *.* TO `b`@`%` IDENTIFIED BY PASSWORD '*AB'"], true),
        (["GRANT ALL PRIVILEGES ON `shop`.* TO `b`@`%`"], true),
        (["GRANT SELECT ON `my\\_shop`.* TO `b`@`%`"], false),
        (["GRANT SELECT ON `shop`.`t` TO `b`@`%`", "GRANT EVENT ON `shop`.* TO `b`@`%`"], false),
        (["GRANT SHOW VIEW, SELECTED_ROLE ON `shop`.* TO `b`@`%`"], false),
        (["GRANT SELECT ON `shopping`.* TO `b`@`%`"], false),
    ])
    func databaseWideSelect(grants: [String], expected: Bool) {
        #expect(DatabaseChecker.grantsSelect(grants, database: "shop") == expected)
    }

    /// A database name with `_` matches its escaped form in SHOW GRANTS.
    @Test func escapedName() {
        #expect(DatabaseChecker.grantsSelect(["GRANT SELECT ON `my\\_shop`.* TO `b`@`%`"], database: "my_shop"))
    }

    /// Routines of other definers are readable with global SELECT, SELECT on mysql.proc or SHOW CREATE ROUTINE.
    @Test(arguments: [
        (["GRANT SELECT ON `shop`.* TO `b`@`%`"], false),
        (["GRANT SELECT ON `mysql`.`proc` TO `b`@`%`"], true),
        (["GRANT SHOW CREATE ROUTINE ON *.* TO `b`@`%`"], true),
        (["GRANT SELECT ON *.* TO `b`@`%`"], true),
    ])
    func routines(grants: [String], expected: Bool) {
        #expect(DatabaseChecker.readsRoutines(grants) == expected)
    }
}
