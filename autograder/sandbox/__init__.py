"""THE one door: the only package that runs anything from a submission.

A `SandboxSession` grades one submission. It starts one child process at a time that
confines itself before any student code runs, executes the submission's definition
cells, and then serves the assignment's operations ([operations] in its assignment.toml,
run by its child.py; for the NumPy assignment `loss`, `train`, `predict`,
`saved_weights`). The parent sends inputs (arrays the checks make up, never CIFAR-10:
the grader trains on it itself) and reads plain data back; every comparison and every
score is computed in the parent, by the checks, on that data.

What crosses the door, into the child (all plain data, chosen by the parent):

- the child's configuration, as its first frame (`session._config`): the session's
  uid/gid, the limits, the root's plan (system paths, Python's folders and the needed
  distributions' entries, the kit's folders to hide: `root.py`), what the harness needs
  of the assignment (notebooks, definition names, trusted classes: `spec.ChildSpec`),
  the names of the model files, the shared inputs' descriptor;
- files, copied into the session's scratch folder (`scratch.py`): the child's own
  modules (`wire`, `oplib`, `rootfs`, `confine`, `harness`, `serve`) with their launcher
  (main.py), the assignment's child.py (as ops.py) and the submission's model files
  (read-only in the child, under /sandbox/submission); the kit itself is never in the
  child's root;
- the definition cells' source and the starter layout's module files (text), one
  "define" request each, then "seal";
- each call's arguments (JSON values and arrays of the wire dtypes, `wire.py`), and the
  shared inputs of the operations that declare them (a loss call's W, X, y), written by
  the parent into a sealed memfd after it read the child's CPU clock (`shared.py`).

What crosses the door, out of the child (all untrusted, validated by the parent):

- the hello report (what confinement took effect: `limits.Isolation`), sent by trusted
  code before any student code exists;
- the host pid of the child's init, written by its trusted keeper on its own pipe;
- one reply per request, in the wire format (length-prefixed JSON + raw arrays, no
  pickle): header and array sizes capped (`Limits.reply_bytes`), dtypes from a fixed
  list, each reply checked against its operation's schema (`reply.py`); anything
  malformed is an error `Outcome` and a fresh child;
- the tail of what it prints (`Limits.output_bytes`), for logs only;
- nothing else: the parent reads the child's CPU time from the kernel (`clock_gettime`
  on its CPUCLOCK_SCHED clock: nanoseconds; the 10 ms ticks of /proc/<pid>/stat only as
  a fallback) just before the request is sent and after the whole reply arrived, and
  whether the shared inputs changed from the memory it wrote; what the child says about
  its inputs or its time is never asked.

What confines the child (as root, which is how the grader and CI run; `confine.py`):

- its own uid/gid per session (no supplementary groups, no_new_privs): it cannot signal or
  ptrace the grader or other sessions (`processes.py`);
- its own network namespace with no interface up (nothing is reachable, not even
  127.0.0.1), IPC namespace (no SysV shared memory of anyone else, none left behind) and
  PID namespace, whose init runs the student code: it sees no other process, and when
  it dies (killed by the grader, or its trusted keeper outside the namespace when the
  grader goes) the kernel kills everything it started;
- an allow-list file system (`rootfs.py`): a new root (pivot_root) holding the system
  libraries, the interpreter with its standard library and, in emptied install folders,
  only the distributions student code needs (`root.py`: numpy, the assignment's
  `child_distributions` and their dependencies, never the kit's packages, in any install
  mode), five devices (no /proc), and under /sandbox its working folder (a fresh tmpfs of
  `Limits.scratch_bytes`) and the submission's model files (read-only). The kit, other
  submissions, the grade store and CIFAR-10 (no split of it, prepared or raw) are not
  hidden: they are not there;
- resource limits: CPU seconds, address space, file size, open files, no core dumps, and
  RLIMIT_NPROC=1, so it can start neither processes nor threads (nothing can hide work or
  outlive a call);
- a seccomp filter: EPERM for system calls a loss function never needs (ptrace, mount,
  unshare, setns, bpf, perf_event_open, io_uring, keyrings, userfaultfd, modules, ...)
  and for prctl(PR_SET_PDEATHSIG), so it cannot detach from the grader's life;
- a wall-clock timeout per call, after which the whole namespace is killed and the next
  call starts a fresh child (definitions re-sent), so a hang costs one check
  (`channel.py`).

Where a namespace cannot be created (root in a container without CAP_SYS_ADMIN, a kernel
that forbids them) the child goes on without it and says so in `SandboxSession.isolation`
(`notes`), and `SandboxSession.confinement` words what did not hold for the results
(`confinement_note`): the feedback page, results.json and the batch summary show it.
With `Limits.require_isolation` (the CLI's `--require-isolation`) a partly confined
child is stopped before any student code runs (`IsolationRequired`), and
`probe_isolation` lets a batch refuse up front. Without root, the child tries the same
inside an unprivileged user namespace (then drops every capability); it keeps the
grader's uid. Run the grader as root (a container is enough) for the full boundary.
Audit hooks are not used: student code shares the child's interpreter and could remove
them. `reap_orphans` kills, once per grader process, sandbox processes whose grader is
gone.

The rooms, parent side: `session` (the session), `channel` (one child process and its
pipes), `reply` (requests and replies checked), `shared` (the shared inputs), `scratch`
(the scratch folder), `limits` (limits and isolation), `processes` (uids, CPU clocks,
orphans), `root` (the root's Python plan), `spec` (what the door reads of an
assignment). Child side, copied into the child: `serve` (start-up and main loop),
`confine`, `rootfs`, `harness` (definitions), `oplib` (the library an assignment's
child.py gets), and `wire`, the only one the parent imports too.
"""

from .limits import Isolation, IsolationRequired, Limits, confinement_note, refusal
from .processes import reap_orphans
from .session import SandboxSession, probe_isolation
from .wire import Outcome

__all__ = ["Isolation", "IsolationRequired", "Limits", "Outcome", "SandboxSession",
           "confinement_note", "probe_isolation", "reap_orphans", "refusal"]
