import ArgumentParser
import BackupKit
import ConfigKit
import Foundation
import Logging

/// The job named on the command line, or a failure (exit 1) with a did-you-mean and the configured jobs.
func requireJob(_ name: String, in config: BackupConfig, path: String) throws -> JobConfig {
    if let job = config.job(named: name) { return job }
    printError(unknownJobMessage(name, in: config, path: path))
    throw ExitCode.failure
}

/// `no job named "x" in PATH; did you mean "y"?; jobs: ...`.
func unknownJobMessage(_ name: String, in config: BackupConfig, path: String) -> String {
    let names = config.jobs.map(\.name)
    var message = "no job named \"\(name)\" in \(path)"
    if let guess = config.suggestion(for: name) { message += "; did you mean \"\(guess)\"?" }
    message += names.isEmpty ? "; the config defines no jobs" : "; jobs: \(names.joined(separator: ", "))"
    return message
}

/// A logger to standard error: warnings and errors, or everything from info up with `verbose`.
func commandLogger(verbose: Bool) -> Logger {
    var logger = Logger(label: "backupd") { label in StreamLogHandler.standardError(label: label) }
    logger.logLevel = verbose ? .info : .warning
    return logger
}

/// Bytes as a short human figure (binary units) followed by the exact count.
func formatSize(_ bytes: Int64) -> String {
    bytes < 1024 ? "\(bytes) B" : "\(TransferProgress.size(bytes)) (\(bytes) bytes)"
}

/// The terminal's width when stdout is one ($COLUMNS when set, else TIOCGWINSZ); nil otherwise,
/// so output to a pipe or file is never cut.
func terminalWidth() -> Int? {
    guard isatty(1) == 1 else { return nil }
    if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
    var size = winsize()
    guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
}
