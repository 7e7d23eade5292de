"""Notebook kernels forked from a process that has already imported the libraries the notebooks
use (IPython, ipykernel, NumPy, pandas, Matplotlib, seaborn, myst-nb's glue, inflect, frictionless).

A kernel started the stock way (`python -m ipykernel_launcher`) spends seconds of CPU importing
these before the notebook's first line runs; a forked one starts with them in memory. Every
notebook still gets a kernel of its own: a new process with a new, empty user namespace, whose
only inheritance is modules already imported, never `kzthesis` (the package is imported by the
notebook itself, so `kzthesis.execution_record()` still lists exactly the modules it used).

    server = KernelServer.start()           # in the build, before the notebooks are executed
    server.wait_ready()                     # then SOCKET_VARIABLE leads nbclient's kernels to it
    server.stop()

A build started by a process that runs a server (the test session runs one for all the builds of
its copies of the project) uses that server, found through the environment: each kernel imports
the package from its own build's PYTHONPATH, not the server's.

The kernel that jupyter_client starts is this file run as a small launcher
(`python kernel_server.py SOCKET CONNECTION_FILE`): it asks the server for a kernel and lives as
long as the kernel does, passing on interrupts; when the launcher is killed, the kernel ends.
"""

from __future__ import annotations

import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SOCKET_VARIABLE = "KZTHESIS_KERNEL_SERVER"
# Third-party modules only: the package under test is never preloaded (see above).
# inflect alone costs about a second of CPU (typeguard instruments it at import); myst-nb's glue
# imports nbformat and with it jsonschema, whose URI checker compiles 39 grammars (over a second
# in every kernel that glues a number); the kernel class and its debugger (debugpy) are imported
# only when a kernel starts, 60 ms each time.
PRELOAD = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "numpy",
           "pandas", "matplotlib.pyplot", "seaborn", "myst_nb", "myst_nb.ext.glue", "inflect",
           "frictionless")
# What `python -m ipykernel_launcher` sets before the notebook's code runs.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)
READY = "ready"  # what the server prints once it has imported


class KernelServer:
    """The forking process, started by the build (or by make preview, for the whole session)."""

    # The server of this process, if one runs: every build uses it.
    current: "KernelServer | None" = None

    def __init__(self, process: subprocess.Popen, folder: Path):
        self.process = process
        self.folder = folder
        self.ready = False

    @classmethod
    def start(cls) -> "KernelServer":
        # The socket is bound here, before the server runs: a launcher may connect at once and
        # waits in the backlog while the server imports (a short path: AF_UNIX allows 108 bytes).
        folder = Path(tempfile.mkdtemp(prefix="kzk-"))
        path = folder / "socket"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen(64)
        env = dict(os.environ, MPLBACKEND=os.environ.get("MPLBACKEND", INLINE_BACKEND))
        process = subprocess.Popen([sys.executable, __file__, "--serve", str(listener.fileno())],
                                   pass_fds=[listener.fileno()], env=env, cwd=folder,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        listener.close()
        os.environ[SOCKET_VARIABLE] = json.dumps({"environment": _environment(), "socket": str(path)})
        cls.current = cls(process, folder)
        return cls.current

    def wait_ready(self) -> None:
        """Until the server has imported: a kernel asked for sooner would wait, and a busy
        machine could make that longer than nbclient waits for a kernel to answer."""
        if not self.ready:
            if self.process.stdout.readline().strip() != READY:
                raise RuntimeError("the notebook kernel server did not start (see the messages above)")
            self.ready = True

    def stop(self) -> None:
        os.environ.pop(SOCKET_VARIABLE, None)
        KernelServer.current = None
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        for item in self.folder.iterdir():
            item.unlink()
        self.folder.rmdir()


def _environment() -> str:
    """The Python environment of this process (a virtual environment reached through a symbolic
    link, as `make` in a test's copy of the project reaches the suite's, is the same one)."""
    return os.path.realpath(sys.prefix)


def server_socket() -> str | None:
    """The socket of the server that this process's kernels are forked from: one that this
    process started, or that the process which started it did (in the same Python environment:
    `make verify FRESH=1` executes in a new one), if any."""
    try:
        found = json.loads(os.environ.get(SOCKET_VARIABLE, ""))
    except ValueError:
        return None
    if not isinstance(found, dict) or found.get("environment") != _environment():
        return None
    return found.get("socket") if os.path.exists(found.get("socket", "")) else None


class KernelStartFailed(RuntimeError):
    """The kernel ended, or did not answer, before any code ran."""


def kernel_manager_class():
    """The kernel manager that nbclient uses: kernels forked from the kernel server when one
    runs, else started the stock way; either way answered promptly (below)."""
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class PromptKernelClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout=None):
            """Ready once the kernel answers on its shell channel and a message arrives on
            IOPub (so that no output is lost). jupyter_client's own wait then drains IOPub until
            it has been silent for 0.2 s, half of a short notebook's time; nbclient needs no
            such drain, since it keeps only the messages that answer its own requests."""
            deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
            while True:
                self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:  # IOPub not connected yet: ask again
                        pass
                    else:
                        self._handle_kernel_info_reply(reply)
                        return
                if not await self._async_is_alive():
                    raise KernelStartFailed("the kernel died before it answered")
                if time.monotonic() > deadline:
                    raise KernelStartFailed(f"the kernel did not answer in {timeout} s")

    class PromptKernelManager(AsyncKernelManager):
        @default("client_factory")
        def _client_factory_default(self):
            return PromptKernelClient

        async def _async_finish_shutdown(self, waittime=None, pollinterval=0.1, restart=False):
            # A kernel ends within milliseconds of its shutdown request; jupyter_client looks
            # every 0.1 s whether it has.
            await super()._async_finish_shutdown(waittime, pollinterval=0.01, restart=restart)

    path = server_socket()
    if not path:
        return PromptKernelManager

    class ForkedKernelManager(PromptKernelManager):
        @property
        def kernel_spec(self):
            return KernelSpec(argv=[sys.executable, "-I", "-S", __file__, path, "{connection_file}"],
                              display_name="Python 3", language="python", interrupt_mode="signal")

    return ForkedKernelManager


def serve(listener_fd: int) -> None:
    """Import, then fork a kernel for each launcher that connects, until the build ends."""
    # Ctrl-C reaches the whole process group: the build ends this server itself (stop()).
    signal.signal(signal.SIGINT, lambda *_: None)
    if sys.path and sys.path[0] in ("", str(Path(__file__).parent)):
        del sys.path[0]  # the script's folder, as ipykernel_launcher removes its own
    # debugpy, imported with the kernel's debugger, warns on stderr (the build's terminal) that
    # Python's frozen modules may hide breakpoints: no one debugs the server.
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    for name in PRELOAD:
        importlib.import_module(name)
    own_path = python_path(os.environ)
    print(READY, flush=True)
    listener = socket.socket(fileno=listener_fd)
    parent = os.getppid()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    while os.getppid() == parent:  # a build killed outright leaves no server behind
        reap_kernels()
        if not selector.select(timeout=1):
            continue
        connection, _ = listener.accept()
        if os.fork() == 0:
            selector.close()
            listener.close()
            run_kernel(connection, own_path)  # never returns
        connection.close()


def reap_kernels() -> None:
    """Collect the kernels that have exited (waited for, their CPU time counts as the build's)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:  # no kernel running
        pass


def python_path(env) -> list[str]:
    return [os.path.abspath(entry) for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]


def run_kernel(connection: socket.socket, server_path: list[str]) -> None:
    """In the forked child: become the kernel that the launcher asked for, with the launcher's
    environment, PYTHONPATH, folder and standard streams."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.setsid()
    message, streams, _, _ = socket.recv_fds(connection, 1 << 20, 3)
    request = json.loads(message)
    for number, stream in enumerate(streams):
        os.dup2(stream, number)
        os.close(stream)
    os.environ.clear()
    os.environ.update(request["env"])
    # The server's PYTHONPATH (its sys.path) named the project that started it; the kernel
    # imports from the launcher's, its own build's project.
    sys.path[:] = [*python_path(os.environ), *(entry for entry in sys.path if entry not in server_path)]
    importlib.invalidate_caches()
    os.chdir(request["cwd"])
    threading.Thread(target=follow_launcher, args=(connection,), daemon=True).start()
    from ipykernel import kernelapp

    # The kernel application read JPY_PARENT_PID when the server imported it: pass it on.
    arguments = ["-f", request["connection_file"], *KERNEL_ARGUMENTS,
                 f"--IPKernelApp.parent_handle={request['env'].get('JPY_PARENT_PID', 0)}"]
    sys.argv = [sys.executable, *arguments]
    try:
        kernelapp.IPKernelApp.launch_instance(argv=arguments)
    finally:
        os._exit(0)


def follow_launcher(connection: socket.socket) -> None:
    """Pass on the launcher's signals; end the kernel when the launcher is gone."""
    stream = connection.makefile("r", encoding="utf-8")
    for line in stream:
        name = line.strip()
        if name in ("SIGINT", "SIGTERM"):
            os.kill(os.getpid(), getattr(signal, name))
    os.kill(os.getpid(), signal.SIGKILL)


def launch(socket_path: str, connection_file: str) -> int:
    """The kernel as jupyter_client sees it: asks the server for a kernel, then waits for it."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(socket_path)

    def forward(number, frame):
        try:
            connection.sendall(f"{signal.Signals(number).name}\n".encode())
        except OSError:  # the kernel has exited already: nothing to pass the signal on to
            pass

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, forward)
    request = {"env": dict(os.environ), "cwd": os.getcwd(), "connection_file": connection_file}
    socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
    try:
        while connection.recv(4096):  # the kernel sends nothing; end of stream: it has exited
            pass
    except ConnectionResetError:  # it exited before reading a signal passed on
        pass
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        sys.exit(launch(sys.argv[1], sys.argv[2]))
