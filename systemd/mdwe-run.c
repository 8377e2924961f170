// Runs a command under the same W^X restriction systemd applies for MemoryDenyWriteExecute=yes,
// to check that backupd (Swift runtime, Foundation, Dispatch, libcurl, OpenSSL, SQLite) tolerates it.
//   cc -O2 -o /tmp/mdwe-run systemd/mdwe-run.c && /tmp/mdwe-run seccomp .build/debug/backupd --help
// Mode "seccomp" installs systemd 252's filter (mmap with PROT_WRITE|PROT_EXEC, mprotect and
// pkey_mprotect with PROT_EXEC, shmat with SHM_EXEC fail with EPERM); mode "prctl" uses the
// kernel's PR_SET_MDWE (Linux 6.3+, what systemd 253+ prefers). Both survive execve.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

#define ARG_LOW(n) offsetof(struct seccomp_data, args[n])
// Deny syscall `sysno` when (arg & mask) == mask.
#define DENY_IF_BITS(sysno, argn, mask)                                    \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 0, 4),                    \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(argn)),                  \
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, (mask)),                        \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (mask), 0, 1),                  \
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s seccomp|prctl COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { perror("PR_SET_NO_NEW_PRIVS"); return 1; }
    if (strcmp(argv[1], "prctl") == 0) {
        if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0) { perror("PR_SET_MDWE"); return 1; }
    } else {
        struct sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
            DENY_IF_BITS(__NR_mmap, 2, PROT_WRITE | PROT_EXEC),
            DENY_IF_BITS(__NR_mprotect, 2, PROT_EXEC),
            DENY_IF_BITS(__NR_pkey_mprotect, 2, PROT_EXEC),
            DENY_IF_BITS(__NR_shmat, 2, SHM_EXEC),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog program = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) { perror("PR_SET_SECCOMP"); return 1; }
    }
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    return 127;
}
