import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("DEFINER clauses stripped from a MySQL dump in flight", .ownThreads)
struct DefinerFilterTests {
    static let dump = """
        INSERT INTO `t` VALUES (1,'CREATE DEFINER=`x`@`y` stays: data'),(2,'b');
        /*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.v = upper(NEW.v) */;;
        CREATE DEFINER=`app``s`@`%` PROCEDURE `p`()
        /*!50013 DEFINER=`root`@`%` SQL SECURITY DEFINER */
        /*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */ ;;
        -- DEFINER=`in`@`comment` at line start is not DDL
        last line without newline DEFINER=`a`@`b`
        """

    static let expected = """
        INSERT INTO `t` VALUES (1,'CREATE DEFINER=`x`@`y` stays: data'),(2,'b');
        /*!50003 CREATE*/ /*!50017*/ /*!50003 TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.v = upper(NEW.v) */;;
        CREATE PROCEDURE `p`()
        /*!50013 SQL SECURITY DEFINER */
        /*!50106 CREATE*/ /*!50117*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */ ;;
        -- DEFINER=`in`@`comment` at line start is not DDL
        last line without newline DEFINER=`a`@`b`
        """

    /// Definers go from DDL lines only, whatever the chunk boundaries; data lines pass unchanged.
    @Test(arguments: [1, 2, 3, 7, 64, 100_000])
    func strips(chunk: Int) throws {
        var output: [UInt8] = []
        let filter = DefinerFilter { output.append(contentsOf: $0) }
        let input = Array(Self.dump.utf8)
        var offset = 0
        while offset < input.count {
            let end = min(offset + chunk, input.count)
            try input[offset..<end].withUnsafeBytes { try filter.write($0) }
            offset = end
        }
        try filter.finish()
        #expect(String(decoding: output, as: UTF8.self) == Self.expected)
    }
}
