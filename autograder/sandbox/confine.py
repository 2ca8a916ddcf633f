"""The child confines itself, before any student code runs, and reports what took effect.

Part of the child's side of the door (copied into the child; the parent never imports
it). `confine` unshares the network, IPC, PID, UTS and mount namespaces (inside a user
namespace when the grader is not root), builds the allow-list root (`rootfs`), sets the
resource limits, switches to the session's own uid, sets no_new_privs and installs a
seccomp filter. Whatever could not be done is in its report, in the child's own words;
the parent words the gaps for the results (`Isolation.gaps`).
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import struct

from .rootfs import (
    MACHINE,
    MS_PRIVATE,
    MS_REC,
    SUBMISSION,
    WORK,
    build_root,
    check,
    enter_root,
    libc,
    mount,
)

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_SET_SECCOMP = 1, 38, 24, 22
SECCOMP_MODE_FILTER = 2
# System calls by architecture: those nothing in a loss function needs and that widen
# what the child can reach (kernel attack surface, other processes, namespaces, mounts),
# and timers: with no thread and no timer, nothing of the student's runs between its reply
# and the parent's look at the shared inputs (a SIGALRM handler that put a mutated input
# back after the reply hid the mutation when a loaded machine delayed that look).
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SYSCALLS = {
    "x86_64": {"ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
               "unshare": 272, "setns": 308, "bpf": 321, "perf_event_open": 298,
               "keyctl": 250, "add_key": 248, "request_key": 249, "io_uring_setup": 425,
               "io_uring_enter": 426, "io_uring_register": 427, "process_vm_readv": 310,
               "process_vm_writev": 311, "userfaultfd": 323, "kexec_load": 246,
               "init_module": 175, "finit_module": 313, "delete_module": 176,
               "open_by_handle_at": 304, "name_to_handle_at": 303, "acct": 163,
               "swapon": 167, "swapoff": 168, "reboot": 169, "settimeofday": 164,
               "personality": 135, "fanotify_init": 300, "move_mount": 429,
               "open_tree": 428, "fsopen": 430, "fsmount": 432, "mount_setattr": 442,
               "alarm": 37, "setitimer": 38, "timer_create": 222, "timer_settime": 223,
               "timerfd_create": 283, "timerfd_settime": 286},
    "aarch64": {"ptrace": 117, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
                "unshare": 97, "setns": 268, "bpf": 280, "perf_event_open": 241,
                "keyctl": 219, "add_key": 217, "request_key": 218, "io_uring_setup": 425,
                "io_uring_enter": 426, "io_uring_register": 427, "process_vm_readv": 270,
                "process_vm_writev": 271, "userfaultfd": 282, "kexec_load": 104,
                "init_module": 105, "finit_module": 273, "delete_module": 106,
                "open_by_handle_at": 265, "name_to_handle_at": 264, "acct": 89,
                "swapon": 224, "swapoff": 225, "reboot": 142, "settimeofday": 170,
                "personality": 92, "fanotify_init": 262, "move_mount": 429,
                "open_tree": 428, "fsopen": 430, "fsmount": 432, "mount_setattr": 442,
                "setitimer": 103, "timer_create": 107, "timer_settime": 110,
                "timerfd_create": 85, "timerfd_settime": 86},
}
_PRCTL = {"x86_64": 157, "aarch64": 167}
_CAPSET = {"x86_64": 126, "aarch64": 91}


def _unshare(flags: int) -> None:
    check(libc.unshare(flags), "unshare")


def _write_id_maps(uid: int, gid: int) -> None:
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def _drop_capabilities() -> None:
    """Drop every capability (those a user namespace grants) from the bounding and main sets."""
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    data = (Data * 2)()
    check(libc.syscall(_CAPSET[MACHINE], ctypes.byref(Header(0x20080522, 0)), data),
           "capset")


def seccomp_program(machine: str = MACHINE) -> bytes:
    """A classic BPF seccomp filter: EPERM for the system calls of `_SYSCALLS`, for
    prctl(PR_SET_PDEATHSIG) (so the child cannot outlive the grader) and, on x86_64, for
    every x32 call; the calling process is killed for a foreign architecture."""
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny, kill = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x80000000
    # seccomp_data: nr at 0, arch at 4, args[0] at 16 (low 32 bits, little-endian).
    numbers = sorted(_SYSCALLS[machine].values())
    prog: list[tuple[int, int, int, int]] = [(ld, 0, 0, 4), (jeq, 1, 0, _AUDIT_ARCH[machine]),
                                             (ret, 0, 0, kill), (ld, 0, 0, 0)]
    if machine == "x86_64":
        prog.append((jge, 0, 1, 0x40000000))
        prog.append((ret, 0, 0, deny))
    for number in numbers:
        prog.append((jeq, 0, 1, number))
        prog.append((ret, 0, 0, deny))
    prog += [(jeq, 0, 3, _PRCTL[machine]), (ld, 0, 0, 16), (jeq, 0, 1, PR_SET_PDEATHSIG),
             (ret, 0, 0, deny), (ret, 0, 0, allow)]
    return b"".join(struct.pack("<HBBI", *ins) for ins in prog)


def _install_seccomp() -> None:
    program = seccomp_program()

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    fprog = SockFprog(len(program) // 8, program)
    check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0),
           "seccomp")


def _keep_namespace(pid: int, pid_fd: int, grader: int) -> None:
    """The first process after unshare(CLONE_NEWPID): trusted, outside the new namespace.

    It tells the grader the host pid of the namespace's init (the process that runs
    student code, which cannot see or signal this one), waits for it, and exits the way
    it did, so the grader reads one exit status and one CPU account. When the grader goes
    (PR_SET_PDEATHSIG), it kills the init, and with it everything in its namespace.
    """
    def stop(*_: object) -> None:
        os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != grader:  # the grader died before the line above took effect
        stop()
    os.write(pid_fd, struct.pack("<q", pid))
    os.closerange(3, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(1)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def confine(cfg: dict) -> dict:
    """Apply the sandbox to this process before any student code runs; report what worked.

    As root: new network (no interface up, not even 127.0.0.1), IPC (no SysV shared
    memory or queues of anyone else, none left behind), PID (the child is init of its own
    namespace: nothing it starts outlives it, it sees no other process), UTS and mount
    namespaces. The file system is an allow-list: a new root holding the system's
    libraries, the interpreter and its standard library, the needed distributions (every
    install folder emptied but for them, the kit's folders hidden), a few devices, the
    scratch working folder and the submission's files (no data set: the grader trains on
    CIFAR-10 in the parent), everything read-only but the working folder, and no /proc.
    The only host paths the child can learn are those of its Python (the interpreter runs
    from them) and its harness's name in sys.argv.
    Then resource limits, the session's own uid/gid (no supplementary groups),
    no_new_privs, and a seccomp filter. When not root, the same is tried inside a new user
    namespace (then all capabilities are dropped) and the grader's uid is kept.
    """
    report: dict = {"uid": os.getuid(), "netns": False, "mountns": False, "pidns": False,
                    "ipcns": False, "seccomp": False, "root": [], "hidden": [], "notes": []}
    as_root = os.geteuid() == 0
    _enter_namespaces(report, as_root)
    _split_keeper(report, cfg)
    if report["mountns"]:
        _enter_private_root(report, cfg, as_root)
    os.chdir(WORK if report["mountns"] else cfg["work"])
    _set_limits(cfg["limits"])
    _become_sandbox_user(report, cfg, as_root)
    try:
        _install_seccomp()
        report["seccomp"] = True
    except (OSError, KeyError) as exc:
        report["notes"].append(f"no seccomp filter ({exc!r})")
    # From here on the harness knows only the paths inside the child's own root.
    folder = SUBMISSION if report["mountns"] else cfg["submission"]
    cfg["model_files"] = {name: os.path.join(folder, name)
                          for name in cfg.pop("model_file_names")}
    # The root's plan (the host's install folders) served only to build it.
    for key in ("submission", "stage", "work", "scratch", "python", "system", "empty"):
        cfg.pop(key, None)
    return report


def _enter_namespaces(report: dict, as_root: bool) -> None:
    own_uid, own_gid = os.getuid(), os.getgid()  # unmapped (65534) once unshared
    spaces = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWUTS
    try:
        _unshare(spaces if as_root else CLONE_NEWUSER | spaces)
        if not as_root:
            _write_id_maps(own_uid, own_gid)
        report.update(netns=True, mountns=True, pidns=True, ipcns=True)
        # Its own host name too: the machine's is none of its business.
        check(libc.sethostname(b"sandbox", 7), "sethostname")
    except OSError as exc:
        report["notes"].append(f"no namespaces ({exc}): the network stays reachable and "
                               "the whole file system visible")


def _split_keeper(report: dict, cfg: dict) -> None:
    """With a PID namespace, fork: the parent stays outside as the keeper, the child is
    the namespace's init and goes on. Either way the grader learns the init's pid."""
    if report["pidns"]:
        pid = os.fork()
        if pid:
            _keep_namespace(pid, cfg["pid_fd"], cfg["parent"])
        os.close(cfg["pid_fd"])
        # Dies with the keeper (which the student cannot reach), and cannot undo it (seccomp).
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:
        os.write(cfg["pid_fd"], struct.pack("<q", os.getpid()))
        os.close(cfg["pid_fd"])


def _enter_private_root(report: dict, cfg: dict, as_root: bool) -> None:
    try:
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        report["root"], report["hidden"] = build_root(cfg, cfg["stage"], cfg["uid"],
                                                      cfg["gid"], as_root)
        enter_root(cfg["stage"])
    except OSError as exc:
        report["mountns"] = False
        report["root"] = []
        report["notes"].append(f"no private file system ({exc}): the whole file system "
                               "stays visible, as far as permissions allow")


def _set_limits(limits: dict) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"] + 2))
    resource.setrlimit(resource.RLIMIT_AS, (limits["address_space"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
    resource.setrlimit(resource.RLIMIT_MEMLOCK, (0, 0))
    # A write past RLIMIT_FSIZE then fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _become_sandbox_user(report: dict, cfg: dict, as_root: bool) -> None:
    """The session's own uid/gid as root; all capabilities dropped otherwise; then
    no_new_privs, and (without a keeper) death with the grader."""
    uid, gid = cfg["uid"], cfg["gid"]
    if as_root:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise SystemExit("could not switch to the sandbox uid")
    elif report["mountns"] or report["netns"]:
        try:
            _drop_capabilities()
        except (OSError, KeyError) as exc:
            report["mountns"] = False
            report["notes"].append(f"capabilities not dropped ({exc!r}): the file system "
                                   "could be remounted by student code")
    report["uid"] = os.getuid()
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if not report["pidns"]:
        # Set after the uid change, which clears it; dies with the grader.
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != cfg["parent"]:
            raise SystemExit("the grader exited during start-up")
