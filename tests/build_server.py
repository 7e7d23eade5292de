"""The tests' builds of their copies of the project, forked from a process of this test worker's
that has already imported the build's libraries (Sphinx, Jupyter Book, MyST-NB, the themes,
pybtex, pandas, jupyter-cache...).

`python -m tools.build` in a new interpreter spends over a second of CPU importing them before
it reads a page, and the suite starts about fifty builds. A forked build is otherwise the
command itself: a new process with the copy's folder, environment, PYTHONPATH, arguments and
standard streams, running `tools.build` as `__main__`. The server imports third-party modules
only, never the project's (`tools`, `book_extensions`, `kzthesis`), so every build imports them
from its own copy, edits included.

    server = BuildServer.start()
    returncode = server.run(["html"], cwd=copy, env=env, stdout=out, stderr=err)
    server.stop()
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import IO

# What a build of the book imports (`python -X importtime -m tools.build html`), by the modules
# that pull in the rest.
PRELOAD = ("yaml", "bibtexparser", "pybtex.database", "pandas", "nbformat", "nbclient",
           "jupyter_client.manager", "jupyter_cache.cache.main", "sphinx.application",
           "sphinx.builders.html", "sphinx.builders.latex", "sphinx.builders._epub_base",
           "jupyter_book.sphinx", "myst_nb.sphinx_ext", "sphinx_external_toc.events",
           "sphinx_design.extension", "pydata_sphinx_theme", "sphinx_book_theme",
           "sphinxcontrib.bibtex", "bs4", "requests", "PIL.Image")
PROJECT_PACKAGES = ("tools", "book_extensions", "kzthesis")
READY = "ready"


class BuildServer:
    def __init__(self, process: subprocess.Popen, folder: Path):
        self.process = process
        self.folder = folder
        self.socket_path = folder / "socket"

    @classmethod
    def start(cls) -> "BuildServer":
        folder = Path(tempfile.mkdtemp(prefix="kzb-"))
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(folder / "socket"))
        listener.listen(8)
        # No PYTHONPATH: the server's own path holds no project folder (each build brings its own).
        env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
        process = subprocess.Popen([sys.executable, __file__, str(listener.fileno())],
                                   pass_fds=[listener.fileno()], env=env, cwd=folder,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        listener.close()
        if process.stdout.readline().strip() != READY:
            raise RuntimeError("the build server did not start (see the messages above)")
        return cls(process, folder)

    def run(self, arguments: list[str], cwd: Path, env: dict, stdout: IO, stderr: IO) -> int:
        """`python -m tools.build *arguments` in `cwd` with `env`, its output in the two files;
        its exit status."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(str(self.socket_path))
            request = {"arguments": arguments, "cwd": str(cwd), "env": env}
            socket.send_fds(connection, [json.dumps(request).encode()], [stdout.fileno(), stderr.fileno()])
            answer = connection.makefile("r", encoding="utf-8").readline()
        if not answer:
            raise RuntimeError("the build server ended during a build")
        return int(answer)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        for item in self.folder.iterdir():
            item.unlink()
        self.folder.rmdir()


def serve(listener_fd: int) -> None:
    """Import, then fork a build for each request and answer with its exit status."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C of the test run: the fixture stops it
    del sys.path[0]  # this file's folder: not the build's
    for name in PRELOAD:
        importlib.import_module(name)
    leaked = sorted(n for n in sys.modules if n.split(".")[0] in PROJECT_PACKAGES)
    if leaked:  # a build would run the server's copy of these, not its project's
        raise RuntimeError(f"the build server imported project modules: {leaked}")
    print(READY, flush=True)
    listener = socket.socket(fileno=listener_fd)
    parent = os.getppid()
    listener.settimeout(1)
    while os.getppid() == parent:  # the test worker is gone: so is its server
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        with connection:
            message, streams, _, _ = socket.recv_fds(connection, 1 << 22, 2)
            child = os.fork()
            if child == 0:
                listener.close()
                connection.close()
                build(json.loads(message), streams)  # never returns
            for stream in streams:
                os.close(stream)
            _, status = os.waitpid(child, 0)
            connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())


def build(request: dict, streams: list[int]) -> None:
    """In the forked child: what `python -m tools.build ARGUMENTS` does in the request's folder."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    null = os.open(os.devnull, os.O_RDONLY)
    for number, stream in enumerate([null, *streams]):
        os.dup2(stream, number)
        os.close(stream)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    # As the interpreter orders it for `-m`: the folder, PYTHONPATH, then the environment's.
    python_path = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [request["cwd"], *python_path, *sys.path]
    importlib.invalidate_caches()
    sys.argv = ["-m", *request["arguments"]]
    code = 0
    try:
        runpy.run_module("tools.build", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            code = exit.code or 0
        else:
            print(exit.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        atexit._run_exitfuncs()  # what the interpreter does at exit (logging's flush among them)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
