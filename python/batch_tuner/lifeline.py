"""Parent death: end this trial when Batch Tuner is gone (issue 12).

Batch Tuner gives every child the env BATCH_TUNER_LIFELINE_FD=<n>: the read end of a pipe whose
write end only the supervisor holds. A read returning EOF means the supervisor died (even by
SIGKILL, when nothing can clean up after it); a daemon thread then ends this process, its process
group (a trial runs in its own group) and its descendants: SIGTERM, SIGKILL after a grace period.

The process that claims the lifeline removes the variable from its environment: it ends its whole
tree, so its children need not watch. A process whose fd <n> is not the one its parent passed down
(a launcher closed inherited fds, and a later socket got the number) never takes it for the
lifeline; it finds a FIFO lifeline through /proc in an ancestor, and otherwise relies on its
launcher (python -m batch_tuner.torchrun). Standard library only.
"""

import os
import signal
import stat
import threading
import time

ENV = "BATCH_TUNER_LIFELINE_FD"
GRACE_SECONDS = 2.0
_started = {"pid": None}


def _is_stream(fd):
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)  # Node's stdio pipes are socket pairs


def _ancestor_pipe(fd_number, levels=4):
    """Opens, read-only, the lifeline pipe an ancestor holds at `fd_number` (via /proc), or None.
    Only an ancestor whose own environment names the same fd counts, so an unrelated file that
    happens to have that number is never taken for the lifeline. Works for a pipe (FIFO); a
    socket cannot be reopened through /proc, so such workers rely on their launcher honouring
    the lifeline (python -m batch_tuner.torchrun)."""
    pid = os.getppid()
    for _ in range(levels):
        if pid <= 1:
            return None
        try:
            if _names_lifeline(pid, fd_number):
                # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
                fd = os.open("/proc/%d/fd/%d" % (pid, fd_number), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                    os.set_blocking(fd, True)
                    return fd
                os.close(fd)
                return None
            pid = _parent_of(pid)
        except (OSError, ValueError):
            return None
    return None


def _parent_of(pid):
    with open("/proc/%d/stat" % pid, "rb") as f:
        data = f.read()
    return int(data[data.rindex(b")") + 2:].split()[1])


def _names_lifeline(pid, fd_number):
    """Whether process `pid` was started with BATCH_TUNER_LIFELINE_FD=<fd_number> (its /proc environ)."""
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return ("%s=%d" % (ENV, fd_number)).encode() in f.read().split(b"\0")
    except OSError:
        return False


def _own_fd_is_lifeline(n):
    """Whether this process's fd n is the lifeline and not a later file that reused the number (a
    launcher that closed inherited fds, then a socket opened by the framework). A parent started
    without the variable is the supervisor: fd n came from it at exec. A parent started with it
    (a shell, a launcher) must hold the very same open file at n."""
    if not os.path.isdir("/proc"):
        return True
    ppid = os.getppid()
    if not _names_lifeline(ppid, n):
        return True
    try:
        return os.readlink("/proc/self/fd/%d" % n) == os.readlink("/proc/%d/fd/%d" % (ppid, n))
    except OSError:
        return False


def _lifeline_fd():
    value = os.environ.get(ENV, "")
    if not value.isdigit():
        return None
    n = int(value)
    try:
        if _is_stream(n) and _own_fd_is_lifeline(n):
            return n
    except OSError:
        pass
    return _ancestor_pipe(n) if os.path.isdir("/proc") else None


def _process_table():
    """{pid: (ppid, pgrp)} from /proc; empty where there is none."""
    table = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                data = f.read()
            fields = data[data.rindex(b")") + 2:].split()
            table[int(name)] = (int(fields[1]), int(fields[2]))
        except (OSError, ValueError, IndexError):
            continue
    return table


def _tree_and_group(me):
    """Pids to end: this process's descendants and the other members of its process group."""
    table = _process_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = set(), [me]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    pgid = os.getpgrp()
    found.update(pid for pid, (_, group) in table.items() if group == pgid)
    found.discard(me)
    return sorted(found)


def _signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
        return data[data.rindex(b")") + 2:data.rindex(b")") + 3] != b"Z"  # a zombie has ended
    except OSError:
        return True


def end_tree(grace=GRACE_SECONDS):
    """Ends this process's descendants and the rest of its process group (SIGTERM, SIGKILL after
    `grace` seconds), then this process. A trial runs in its own group, so the group is the trial."""
    me = os.getpid()
    others = _tree_and_group(me)
    _signal_all(others, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in others):
        time.sleep(0.05)
    _signal_all(others + _tree_and_group(me), signal.SIGKILL)
    try:
        os.killpg(os.getpgrp(), signal.SIGKILL)  # without /proc: the whole group, this process included
    except OSError:
        pass
    os._exit(128 + signal.SIGTERM)


def _watch(fd):
    while True:
        try:
            data = os.read(fd, 64)
        except InterruptedError:
            continue
        except OSError:
            return  # closed under us: nothing to watch
        if not data:
            end_tree()
            return


def watch():
    """Starts the watcher thread once per process when BATCH_TUNER_LIFELINE_FD names a pipe.
    Returns True when watching."""
    if _started["pid"] == os.getpid():
        return True
    fd = _lifeline_fd()
    if fd is None:
        return False
    _started["pid"] = os.getpid()
    # Claimed: this process ends its whole tree when the supervisor goes, so its children need not
    # watch, and must not take some later file with the same number for the lifeline.
    os.environ.pop(ENV, None)
    threading.Thread(target=_watch, args=(fd,), name="batch-tuner-lifeline", daemon=True).start()
    return True
