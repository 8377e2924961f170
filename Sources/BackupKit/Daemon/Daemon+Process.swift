import BackupCore
import Foundation
import Logging

extension Daemon {
    /// Prepares the process for a long-running daemon, before any thread or run: large blocks
    /// get their own mappings (`MallocPolicy`).
    public static func prepareProcess() {
        MallocPolicy.apply()
    }

    /// The daemon's log handlers for `LoggingSystem.bootstrap`: journald priority prefixes on
    /// stderr from `level` up, each line stamped with the UTC time unless stderr is the journal
    /// (which stamps lines itself).
    public static func logHandlers(level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> @Sendable (String) -> any LogHandler
    {
        let stamped = !JournalLogHandler.stderrIsJournal(environment: environment)
        return { label in
            var handler = JournalLogHandler(label: label)
            handler.logLevel = level
            if stamped { handler.timestamp = { JournalLogHandler.utcTimestamp(Date().timeIntervalSince1970) } }
            return handler
        }
    }
}
