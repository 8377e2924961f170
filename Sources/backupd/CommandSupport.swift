import ArgumentParser
import BackupCore
import BackupHistory
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

/// The config's history, or a failure naming the state directory and why it cannot be opened.
func requireHistory(_ config: BackupConfig) throws -> HistoryStore {
    do {
        return try HistoryStore(stateDirectory: config.stateDirectory)
    } catch {
        printError("cannot open the history in \(config.stateDirectory): \(error)")
        throw ExitCode.failure
    }
}

/// The config's history opened read-only when it exists (nil when there is none yet, or, with a
/// warning, when it cannot be read): evidence for commands that must not create or write it.
func existingHistory(_ config: BackupConfig) -> HistoryStore? {
    do {
        return try HistoryStore(stateDirectory: config.stateDirectory, readOnly: true)
    } catch HistoryError.missingDatabase {
        return nil
    } catch {
        printError("warning: the bucket is not cross-checked with the history: cannot read it in \(config.stateDirectory): \(error)")
        return nil
    }
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

/// Runs `body` as work that SIGINT or SIGTERM stop (Task cancellation, "interrupted by signal N" as
/// its `StopReason`), so that Ctrl-C kills the tool and aborts the upload. Returns its result and
/// why it was stopped (nil: it was not).
func stoppingOnSignals<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> (value: T, stopped: String?) {
    let work = StoppableTask(body)
    let signals = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { work.stop("interrupted by signal \(number)") }
        source.resume()
        return source
    }
    defer { signals.forEach { $0.cancel() } }
    let value = try await work.value
    return (value, work.stopReason.reason)
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
