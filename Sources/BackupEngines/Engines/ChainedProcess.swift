import BackupCore
import Synchronization

/// Several dump commands run one after another as one process whose standard output is theirs in
/// order: the next starts only when the one before reached end of file and exited 0. A failed
/// command ends the chain with its exit; a kill ends the running command and starts no other, and
/// the chain then reports the kill even when it fell between two commands, so a stream cut short
/// is never taken for a complete one.
final class ChainedProcess: RunningProcess {
    private struct State {
        var current: any RunningProcess
        var remaining: [ProcessSpec]
        var finishedTails: [String] = []
        var failure: ProcessExit?
        var killed = false
    }

    private let launcher: any ProcessLauncher
    private let state: Mutex<State>

    /// Runs `first` (already started), then each of `rest` in order through `launcher`.
    init(first: any RunningProcess, rest: [ProcessSpec], launcher: any ProcessLauncher) {
        self.launcher = launcher
        state = Mutex(State(current: first, remaining: rest))
    }

    var pid: Int32 { state.withLock { $0.current.pid } }

    func readOutput(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let process = state.withLock { $0.current }
            let n = try process.readOutput(into: buffer)
            if n > 0 { return n }
            let exit = process.wait()
            let next: ProcessSpec? = state.withLock { state in
                guard exit.succeeded else {
                    state.failure = state.failure ?? exit
                    return nil
                }
                guard !state.killed, !state.remaining.isEmpty else { return nil }
                return state.remaining.first
            }
            guard let next else { return 0 }
            let started = try launcher.launch(next)
            let stale = state.withLock { state -> Bool in
                state.finishedTails.append(state.current.stderrTail())
                state.remaining.removeFirst()
                state.current = started
                return state.killed
            }
            // A kill that raced with the launch must still reach the new command.
            if stale { started.kill() }
        }
    }

    func writeInput(_ bytes: UnsafeRawBufferPointer) throws {
        try state.withLock { $0.current }.writeInput(bytes)
    }

    func closeInput() {
        state.withLock { $0.current }.closeInput()
    }

    func kill() {
        let process = state.withLock { state -> any RunningProcess in
            state.killed = true
            return state.current
        }
        process.kill()
    }

    func wait() -> ProcessExit {
        let process = state.withLock { $0.current }
        let exit = process.wait()
        return state.withLock { state in
            if let failure = state.failure { return failure }
            if !exit.succeeded { return exit }
            // The last command succeeded but others never ran: the chain did not complete.
            if !state.remaining.isEmpty { return state.killed ? .signaled(9) : .exited(1) }
            return exit
        }
    }

    func stderrTail() -> String {
        let (tails, process) = state.withLock { ($0.finishedTails, $0.current) }
        let all = (tails + [process.stderrTail()]).filter { !$0.isEmpty }.joined(separator: "\n")
        return String(all.suffix(StderrTail.capacity))
    }
}
