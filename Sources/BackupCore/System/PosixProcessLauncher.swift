import Foundation
import CLinux
import Glibc

/// Starts children with `posix_spawn`: each in its own process group (so a kill reaches
/// everything the tool started), with only the environment it is given, signals reset to their
/// defaults, and no file descriptors but the three standard ones and the spec's inherited files.
public struct PosixProcessLauncher: ProcessLauncher {
    /// Creates the live launcher.
    public init() {
        // A restore tool that exits early must turn our next write into EPIPE, not kill backupd.
        signal(SIGPIPE, SIG_IGN)
    }

    public func locate(_ program: String, path: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    public func launch(_ spec: ProcessSpec) throws -> any RunningProcess {
        let program = spec.argv.first ?? ""
        let searchPath = spec.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        guard let executable = locate(program, path: searchPath) else {
            throw ProcessError.notFound(program: program, path: searchPath)
        }

        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        func closeAll() {
            for fd in stdinPipe + stdoutPipe + stderrPipe where fd >= 0 { close(fd) }
        }
        if spec.input == .pipe, bd_pipe2_cloexec(&stdinPipe) != 0 {
            throw ProcessError.spawnFailed(program: program, call: "pipe2", errno: errno)
        }
        if spec.captureOutput, bd_pipe2_cloexec(&stdoutPipe) != 0 {
            let code = errno
            closeAll()
            throw ProcessError.spawnFailed(program: program, call: "pipe2", errno: code)
        }
        // A dump streams through this pipe: 1 MiB instead of 64 KiB lets each read take up to 16
        // times more, so the tool and the uploader wake each other far less (best effort).
        if spec.captureOutput { _ = bd_set_pipe_size(stdoutPipe[0], 1 << 20) }
        if bd_pipe2_cloexec(&stderrPipe) != 0 {
            let code = errno
            closeAll()
            throw ProcessError.spawnFailed(program: program, call: "pipe2", errno: code)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if spec.input == .pipe {
            posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if spec.captureOutput {
            posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        // Inherited files become 3, 4, …: copies numbered above those first, so that no dup2 in the
        // child overwrites a descriptor a later one still reads.
        let firstFree = Int32(3 + spec.inheritedFiles.count)
        var copies: [Int32] = []
        defer { for fd in copies { close(fd) } }
        for (index, fd) in spec.inheritedFiles.enumerated() {
            let copy = bd_dup_cloexec_above(fd, firstFree)
            guard copy >= 0 else {
                let code = errno
                closeAll()
                throw ProcessError.spawnFailed(program: program, call: "fcntl(F_DUPFD_CLOEXEC)", errno: code)
            }
            copies.append(copy)
            posix_spawn_file_actions_adddup2(&actions, copy, 3 + Int32(index))
        }
        // Descriptors another thread opened without O_CLOEXEC must not leak into the tool.
        posix_spawn_file_actions_addclosefrom_np(&actions, firstFree)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = spec.argv.map { strdup($0) } + [nil]
        let envp = spec.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        for fd in [stdinPipe[0], stdoutPipe[1], stderrPipe[1]] where fd >= 0 { close(fd) }
        guard result == 0 else {
            for fd in [stdinPipe[1], stdoutPipe[0], stderrPipe[0]] where fd >= 0 { close(fd) }
            throw ProcessError.spawnFailed(program: program, call: "posix_spawn", errno: result)
        }
        return PosixProcess(
            pid: pid, program: program, stdinFD: stdinPipe[1], stdoutFD: stdoutPipe[0], stderrFD: stderrPipe[0])
    }
}
