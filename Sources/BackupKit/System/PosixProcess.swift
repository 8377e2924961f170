import CLinux
import Foundation
import Glibc
import Synchronization

/// A child started by `PosixProcessLauncher`. Its stderr is drained by a thread of its own into
/// a bounded `StderrTail`, so a chatty tool can never block on a full stderr pipe. `kill()` also
/// ends reading: a grandchild that left the process group (setsid) and holds stdout open cannot
/// keep a read blocked.
final class PosixProcess: RunningProcess {
    let pid: Int32
    private let program: String
    private let stdoutFD: Int32
    /// Written to by `kill()`; `readOutput` polls it beside stdout.
    private let wakeFDs: (read: Int32, write: Int32)
    private let stdinFD: Mutex<Int32>
    private let tail = StderrTail()
    private let stderrDone = DispatchSemaphore(value: 0)
    private struct State {
        var exit: ProcessExit?
        var reaping = false
    }
    private let state = Mutex(State())
    private let reaped = DispatchSemaphore(value: 0)

    init(pid: Int32, program: String, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32) {
        self.pid = pid
        self.program = program
        self.stdinFD = Mutex(stdinFD)
        self.stdoutFD = stdoutFD
        var fds: [Int32] = [-1, -1]
        _ = bd_pipe2_cloexec(&fds)
        wakeFDs = (fds[0], fds[1])
        let tail = self.tail
        let done = stderrDone
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, $0.count) }
                if n > 0 {
                    buffer.withUnsafeBytes { tail.append(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(stderrFD)
            done.signal()
        }
        thread.name = "backupd-stderr"
        thread.start()
    }

    deinit {
        if stdoutFD >= 0 { close(stdoutFD) }
        if wakeFDs.read >= 0 { close(wakeFDs.read) }
        if wakeFDs.write >= 0 { close(wakeFDs.write) }
        stdinFD.withLock { fd in if fd >= 0 { close(fd) } }
    }

    func readOutput(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard stdoutFD >= 0 else { return 0 }
        while true {
            var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFDs.read, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            // Killed: whatever still holds the pipe, this reader is done (the exit status tells why).
            if fds[1].revents != 0 && wakeFDs.read >= 0 { return 0 }
            let n = read(stdoutFD, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ProcessError.io(program: program, call: "read", errno: errno)
        }
    }

    func writeInput(_ bytes: UnsafeRawBufferPointer) throws {
        let fd = stdinFD.withLock { $0 }
        guard fd >= 0 else { throw ProcessError.inputClosed(program: program) }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && errno == EPIPE {
                throw ProcessError.inputClosed(program: program)
            } else {
                throw ProcessError.io(program: program, call: "write", errno: errno)
            }
        }
    }

    func closeInput() {
        stdinFD.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    func kill() {
        // After the leader is reaped its group id may be reused: never signal then.
        state.withLock { s in
            if s.exit == nil { _ = Glibc.kill(-pid, SIGKILL) }
        }
        var byte: UInt8 = 1
        _ = write(wakeFDs.write, &byte, 1)
    }

    func wait() -> ProcessExit {
        let mustReap = state.withLock { s -> Bool in
            if s.exit != nil || s.reaping { return false }
            s.reaping = true
            return true
        }
        if mustReap {
            var status: Int32 = 0
            var result: pid_t
            repeat {
                result = waitpid(pid, &status, 0)
            } while result < 0 && errno == EINTR
            let exit: ProcessExit
            if result < 0 {
                exit = .exited(-1)
            } else if status & 0x7F == 0 {
                exit = .exited((status >> 8) & 0xFF)
            } else {
                exit = .signaled(status & 0x7F)
            }
            // Whatever the tool started may still hold stderr open; its tail is complete enough
            // after a short wait, and the group is killed so nothing is left behind.
            _ = Glibc.kill(-pid, SIGKILL)
            state.withLock { $0.exit = exit }
            _ = stderrDone.wait(timeout: .now() + 2)
            reaped.signal()
            return exit
        }
        if let exit = state.withLock({ $0.exit }) { return exit }
        reaped.wait()
        reaped.signal()
        return state.withLock { $0.exit! }
    }

    func stderrTail() -> String { tail.text }
}
