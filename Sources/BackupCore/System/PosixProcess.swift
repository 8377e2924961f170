import CLinux
import Foundation
import Glibc
import Synchronization

/// A child started by `PosixProcessLauncher`. No thread of its own: whichever call blocks on the
/// child (`readOutput`, `writeInput`, `wait`) polls its stderr too and drains it into a bounded
/// `StderrTail`, so a chatty tool can never block on a full stderr pipe while we wait on it.
/// `kill()` also ends reading and writing: a grandchild that left the process group (setsid) and
/// holds a pipe open cannot keep a call blocked.
final class PosixProcess: RunningProcess {
    let pid: Int32
    private let program: String
    private let stdoutFD: Int32
    /// Written to by `kill()`; every blocking call polls it (it stays readable from then on).
    private let wakeFDs: (read: Int32, write: Int32)
    private let stdinFD: Mutex<Int32>
    /// Readable once the child exited (-1 when the kernel has no pidfd: `wait` then polls).
    private let pidFD: Int32
    private let stderrPipe: StderrPipe
    private struct State {
        var exit: ProcessExit?
        var reaping = false
        var settled = false
    }
    private let state = Mutex(State())

    init(pid: Int32, program: String, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32) {
        self.pid = pid
        self.program = program
        if stdinFD >= 0 { _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK) }
        self.stdinFD = Mutex(stdinFD)
        self.stdoutFD = stdoutFD
        stderrPipe = StderrPipe(fd: stderrFD)
        pidFD = bd_pidfd_open(pid)
        var fds: [Int32] = [-1, -1]
        _ = bd_pipe2_cloexec(&fds)
        wakeFDs = (fds[0], fds[1])
    }

    deinit {
        for fd in [stdoutFD, wakeFDs.read, wakeFDs.write, pidFD] where fd >= 0 { close(fd) }
        stdinFD.withLock { fd in if fd >= 0 { close(fd) } }
    }

    func readOutput(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard stdoutFD >= 0 else { return 0 }
        while true {
            let ready = waitReady([pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)])
            // Killed: whatever still holds the pipe, this reader is done (the exit status tells why).
            if ready.killed { return 0 }
            guard ready.own else { continue }
            let n = read(stdoutFD, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR || errno == EAGAIN { continue }
            throw ProcessError.io(program: program, call: "read", errno: errno)
        }
    }

    /// The stdout pipe's capacity (fcntl F_GETPIPE_SZ, 1032), for tests; 0 without one.
    var outputPipeSize: Int { stdoutFD >= 0 ? Int(fcntl(stdoutFD, 1032)) : 0 }

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
            } else if n < 0 && errno == EAGAIN {
                // The pipe is full: wait until it takes more (or the child dies or is killed).
                if waitReady([pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]).killed {
                    throw ProcessError.inputClosed(program: program)
                }
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
        guard mustReap else {
            // Another caller reaps: it settles within moments of the exit (at most 2 s of stderr).
            while true {
                if let exit = state.withLock({ $0.settled ? $0.exit : nil }) { return exit }
                _ = poll(nil, 0, 10)
            }
        }
        let exit = reap()
        // Whatever the tool started may still hold stderr open; its tail is complete enough
        // after a short wait, and the group is killed so nothing is left behind.
        _ = Glibc.kill(-pid, SIGKILL)
        state.withLock { $0.exit = exit }
        let deadline = ContinuousClock.now + .seconds(2)
        while !stderrPipe.atEnd, ContinuousClock.now < deadline {
            var fds = [stderrPipe.pollEntry]
            if poll(&fds, 1, 50) > 0 { stderrPipe.drain() }
        }
        state.withLock { $0.settled = true }
        return exit
    }

    func stderrTail() -> String {
        stderrPipe.drain()
        return stderrPipe.tail.text
    }

    /// Waits for the child's exit (draining stderr meanwhile) and collects its status.
    private func reap() -> ProcessExit {
        var status: Int32 = 0
        var result: pid_t
        while true {
            if pidFD >= 0 {
                var fds = [pollfd(fd: pidFD, events: Int16(POLLIN), revents: 0), stderrPipe.pollEntry]
                if poll(&fds, 2, -1) < 0 && errno != EINTR { break }
                if fds[1].revents != 0 { stderrPipe.drain() }
                if fds[0].revents != 0 { break }
            } else {
                var fds = [stderrPipe.pollEntry]
                if poll(&fds, 1, 50) > 0 { stderrPipe.drain() }
                result = waitpid(pid, &status, WNOHANG)
                if result == pid { return Self.exit(status) }
                if result < 0 && errno != EINTR { return .exited(-1) }
            }
        }
        repeat {
            result = waitpid(pid, &status, 0)
        } while result < 0 && errno == EINTR
        return result < 0 ? .exited(-1) : Self.exit(status)
    }

    private static func exit(_ status: Int32) -> ProcessExit {
        status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signaled(status & 0x7F)
    }

    /// Polls `entries` with the wake pipe and stderr until one is ready; drains stderr when it is.
    private func waitReady(_ entries: [pollfd]) -> (own: Bool, killed: Bool) {
        var fds = entries + [pollfd(fd: wakeFDs.read, events: Int16(POLLIN), revents: 0), stderrPipe.pollEntry]
        while true {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 && errno == EINTR { continue }
            let count = entries.count
            if fds[count + 1].revents != 0 { stderrPipe.drain() }
            if fds[count].revents != 0 && wakeFDs.read >= 0 { return (false, true) }
            let own = fds[..<count].contains { $0.revents != 0 }
            // A failing poll lets the caller's own call report the error.
            if own || ready < 0 { return (true, false) }
            fds[count + 1] = stderrPipe.pollEntry
        }
    }
}

/// A child's stderr pipe (non-blocking), drained by whichever call waits on the child.
private final class StderrPipe: Sendable {
    let fd: Int32
    let tail = StderrTail()
    /// True once end of file was read (the descriptor stays open until deinit, so that no poll
    /// of another thread can see its number reused).
    private let ended = Mutex(false)

    init(fd: Int32) {
        self.fd = fd
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    var atEnd: Bool { ended.withLock { $0 } }

    /// The entry to poll: none (a negative descriptor, which poll skips) once at end of file.
    var pollEntry: pollfd { pollfd(fd: atEnd ? -1 : fd, events: Int16(POLLIN), revents: 0) }

    /// Reads what is there without blocking.
    func drain() {
        ended.withLock { ended in
            guard !ended else { return }
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    buffer.withUnsafeBytes { tail.append(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    if n == 0 || errno != EAGAIN { ended = true }
                    return
                }
            }
        }
    }
}
