"""Live preview for the author: `make preview`.

Serves `_build/html` on localhost, rebuilds the book whenever a source is saved (`book/`,
`notebooks/`, `data/`, `references.bib`, `kzthesis/`, `_static/`, `_config.yml`, `_toc.yml`) and
reloads the page open in the browser. Each rebuild is the build of `make book`
(tools/build.py), run in this long-lived process with one Sphinx application kept between saves
of pages (`KeptSphinx`): a prose edit pays no interpreter start, no imports and no loading of
the configuration, extensions or environment, re-reads one page and writes the pages that
changed; the open page reloads as soon as they are written. A data edit re-executes only the
notebooks that read the file, in kernels forked from a server started with the preview
(tools/kernel_server.py), or, as in a build, from the server of the process that started it.
A failed build is shown in the terminal and over the open page (the messages name file and
line); the server keeps running and the next good save reloads the page.

    python -m tools.preview [--port 8000] [--no-browser]

The reload script is added to each HTML page as it is served: the built files are those of
`make book`, unchanged.
"""

from __future__ import annotations

import argparse
import http.server
import io
import json
import os
import signal
import sys
import threading
import time
import traceback
import webbrowser
from pathlib import Path

import yaml

from tools import build as book_build
from tools import execute_notebooks, kernel_server

ROOT = book_build.ROOT
HTML_DIR = book_build.HTML_DIR
# What an author saves; a change to anything else (the build's own output) is not a source.
WATCHED = ("book", "notebooks", "data", "kzthesis", "_static", "references.bib", "_config.yml",
           "_toc.yml")
POLL_SECONDS = 0.05
# Editors write a file in several steps: wait for the saves to settle before building.
SETTLE_SECONDS = 0.05
EVENTS_PATH = "/__preview__/events"
# Added before </body> of every HTML page served; `GENERATION` is the build the page shows.
RELOAD_SCRIPT = """<script id="preview-reload">(() => {
  const shown = GENERATION;
  const source = new EventSource("EVENTS_PATH");
  source.onmessage = (event) => {
    const state = JSON.parse(event.data);
    let box = document.getElementById("preview-error");
    if (state.error) {
      if (!box) {
        box = document.createElement("pre");
        box.id = "preview-error";
        box.setAttribute("role", "alert");
        box.style.cssText = "position:fixed;z-index:10000;top:0;left:0;right:0;max-height:60vh;" +
          "overflow:auto;margin:0;padding:1em;background:#fff1f0;color:#5c0011;" +
          "border-bottom:3px solid #a8071a;font:13px/1.4 monospace;white-space:pre-wrap";
        document.body.prepend(box);
      }
      box.textContent = "The book did not build (the page below is the last good build):\\n\\n" + state.error;
    } else if (state.generation !== shown) {
      location.reload();
    } else if (box) {
      box.remove();
    }
  };
})();</script>"""


class BuildState:
    """The outcome of the latest build, which every open page follows."""

    def __init__(self):
        self.generation = 0  # counts the successful builds
        self.error: str | None = None
        self.changed = threading.Condition()

    def publish(self, error: str | None) -> None:
        with self.changed:
            if error is None:
                self.generation += 1
            self.error = error
            self.changed.notify_all()

    def message(self) -> bytes:
        return f"data: {json.dumps({'generation': self.generation, 'error': self.error})}\n\n".encode()


class Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy (Sphinx's warnings name file and line)."""

    def __init__(self, terminal):
        self.terminal = terminal
        self.kept = io.StringIO()

    def write(self, text: str) -> int:
        self.kept.write(text)
        return self.terminal.write(text)

    def flush(self) -> None:
        self.terminal.flush()

    def isatty(self) -> bool:
        return False  # no colour codes in the copy shown in the page


def sphinx_defaults_restorer():
    """Sphinx's own configuration defaults are objects shared by every application of a process,
    and the themes append to one of them (`templates_path`) as each application starts: in a
    process that builds again and again, the list would grow, the configuration's hash change,
    and every page be written at every build. Restoring the defaults before each new application
    makes it the application a new process would start."""
    import copy

    from sphinx.config import Config

    pristine = copy.deepcopy(Config.config_values)

    def restore() -> None:
        Config.config_values.clear()
        Config.config_values.update(copy.deepcopy(pristine))

    return restore


class KeptSphinx:
    """One Sphinx application for the whole session, built again after each save: no
    configuration, extensions, theme or environment to load again, and Sphinx re-reads only the
    pages that its own rule (`env.note_dependency`, book_extensions/dependencies.py) finds out of
    date, then writes only the pages that changed.

    The application is kept only while what it loaded at its start is unchanged: a save of a page
    (`book/`, `notebooks/`) keeps it; any other save (the configuration and table of contents,
    references.bib, which sphinxcontrib-bibtex reads at start, data, the package, style sheets
    and templates) and a failed build start a new one, as `make book` would."""

    # Saves under these folders keep the application: they are the pages Sphinx reads itself.
    KEEPS_APPLICATION = ("book/", "notebooks/")

    def __init__(self):
        self.app = None
        self.namespace = None  # docutils' registries, patched for the application's lifetime
        self.restore_defaults = sphinx_defaults_restorer()

    def saved(self, changed: list[str]) -> None:
        if not all(name.startswith(self.KEEPS_APPLICATION) for name in changed):
            self.drop()
        if any(name.startswith(("kzthesis/", "data/")) for name in changed):
            forget_package()

    def drop(self) -> None:
        if self.namespace is not None:
            self.namespace.close()
        self.app = self.namespace = None

    def start(self, target: str, fresh: bool):
        """The application as jupyter_book.sphinx.build_sphinx (make book) creates it."""
        from contextlib import ExitStack

        from jupyter_book.config import get_final_config
        from jupyter_book.pdf import update_latex_documents
        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        self.drop()
        self.restore_defaults()
        builder, outdir = book_build.TARGETS[target]
        os.chdir(ROOT)
        config, meta = get_final_config(user_yaml=ROOT / "_config.yml", cli_config=dict(book_build.CONFIG_OVERRIDES),
                                        sourcedir=ROOT, use_external_toc=True)
        self.namespace = ExitStack()
        self.namespace.enter_context(patch_docutils(None))
        self.namespace.enter_context(docutils_namespace())
        app = Sphinx(srcdir=ROOT, confdir=None, outdir=outdir, doctreedir=outdir.parent / ".doctrees",
                     buildername=builder, confoverrides=config, status=sys.stdout, warning=sys.stderr,
                     freshenv=fresh, warningiserror=True, keep_going=True)
        app.config.latex_documents = update_latex_documents(app.config.latex_documents,
                                                             meta["latex_doc_overrides"])
        if app.config["use_multitoc_numbering"] and "numbered: true" in yaml.dump(
                app.config.external_site_map.as_json()):
            app.setup_extension("sphinx_multitoc_numbering")
        self.app = app

    def reset_carried_state(self) -> None:
        """What one build leaves in memory that a new process, loading the saved environment,
        would not have: Sphinx's copies of the doctrees it read before a page was read again
        (the numbering of sections and figures would read the old page), the text that
        sphinxcontrib-bibtex adds to the citation nodes it keeps in the environment while the
        bibliography is written (saved empty, before writing: written twice, every entry would
        show twice), and sphinx-external-toc's chapter counters."""
        from sphinx.environment import CONFIG_OK

        env = self.app.env
        env.config_status = CONFIG_OK  # the configuration checked at the start: a change drops the application
        env._pickled_doctree_cache.clear()
        env._write_doc_doctree_cache.clear()
        for bibliography in env.domaindata.get("cite", {}).get("bibliographies", {}).values():
            for node in bibliography.citation_nodes.values():
                node.children = []
        restart_chapter_counts(self.app)

    def render(self, target: str, fresh: bool) -> int:
        if fresh or self.app is None:
            self.start(target, fresh)
        else:
            self.reset_carried_state()
            self.app.statuscode = 0
            self.app._warncount = 0
        try:
            self.app.build()
        except BaseException:
            self.drop()
            raise
        if self.app.statuscode != 0:
            self.drop()
            return 1
        return 0


def forget_package() -> None:
    """The extensions import `kzthesis` in this process (the quoted quantities, the edition's
    notes): after a change to the package or to the data, the next build imports it again, as a
    new process would, instead of running the code it imported before the change or serving the
    data it loaded (and validated) before it."""
    for name in [name for name in sys.modules if name == "kzthesis" or name.startswith("kzthesis.")]:
        del sys.modules[name]


def toc_collector(app):
    """Sphinx's table-of-contents collector of this application (it numbers sections and figures)."""
    from sphinx.environment.collectors.toctree import TocTreeCollector

    for listener in app.events.listeners["env-get-updated"]:
        collector = getattr(listener.handler, "__self__", None)
        if isinstance(collector, TocTreeCollector):
            return collector
    raise RuntimeError("Sphinx's table-of-contents collector is not connected")


def restart_chapter_counts(app) -> None:
    """sphinx-external-toc's table-of-contents collector counts the chapters it numbers in
    counters of its own that only a new collector starts at zero: with one application kept,
    the thesis's chapter 2 would become chapter 6 at the next build, 10 at the one after."""
    collector = toc_collector(app)
    for name in list(vars(collector)):
        if name.endswith("_count"):
            setattr(collector, name, 0)


def build_once(sphinx: KeptSphinx, errors: Tee, rendered=lambda: None) -> str | None:
    """One build of the HTML book as `make book` runs it; the error text, or None. `rendered()`
    is called as soon as the pages are written (the manifest and the source archive follow)."""
    errors.kept = io.StringIO()
    try:
        with book_build.exclusive_build():
            # Sphinx runs even when nothing changed: the first build starts the application
            # that the saves after it use.
            book_build.build("html", render=sphinx.render, rendered=rendered, may_skip=False)
        return None
    except book_build.BuildFailed as failure:
        kept = execute_notebooks.ANSI.sub("", errors.kept.getvalue())
        problems = [line for line in kept.splitlines()
                    if ": WARNING:" in line or ": ERROR:" in line or ": CRITICAL:" in line]
        return "\n".join([*dict.fromkeys(problems), str(failure)])
    except Exception as error:  # noqa: BLE001 - shown in the page; the server keeps running
        sphinx.drop()
        book_build.ERROR_LOG.write_text(traceback.format_exc(), encoding="utf-8")
        return f"{type(error).__name__}: {error}"


def snapshot(root: Path = ROOT) -> dict[str, float]:
    """Modification time and size of every watched file."""
    found: dict[str, float] = {}
    for name in WATCHED:
        path = root / name
        if path.is_file():
            found[name] = (path.stat().st_mtime_ns, path.stat().st_size)
        for folder, directories, files in os.walk(path):
            directories[:] = [d for d in directories if d not in ("__pycache__", ".ipynb_checkpoints")]
            for file in files:
                full = os.path.join(folder, file)
                try:
                    stat = os.stat(full)
                except FileNotFoundError:  # removed while walking
                    continue
                found[os.path.relpath(full, root)] = (stat.st_mtime_ns, stat.st_size)
    return found


def changed_files(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def watch_and_build(state: BuildState, built_first=lambda: None) -> None:
    """Build at once, then after every change to a watched file; runs until interrupted."""
    sphinx = KeptSphinx()
    # For the whole session: the kept application writes its warnings to the stream it started with.
    errors = sys.stderr = Tee(sys.stderr)
    seen = snapshot()
    pending = ["start"]
    while True:
        if pending:
            started = time.perf_counter()
            shown = ", ".join(pending[:5]) + (" …" if len(pending) > 5 else "")
            print(f"\npreview: building ({shown})", flush=True)

            def rendered(started=started):
                state.publish(None)
                print(f"preview: pages written in {time.perf_counter() - started:.1f} s; the open "
                      f"pages reload", flush=True)

            error = build_once(sphinx, errors, rendered)
            took = time.perf_counter() - started
            if error is None:
                print(f"preview: built in {took:.1f} s", flush=True)
                built_first()
            else:
                state.publish(error)
                print(f"preview: the build failed after {took:.1f} s (shown in the page):\n{error}",
                      file=sys.stderr, flush=True)
        time.sleep(POLL_SECONDS)
        current = snapshot()
        pending = changed_files(seen, current)
        if pending:
            time.sleep(SETTLE_SECONDS)
            current = snapshot()
            pending = changed_files(seen, current)
            sphinx.saved(pending)
        seen = current


def handler_for(state: BuildState):
    class PreviewHandler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(HTML_DIR), **kwargs)

        def log_message(self, format, *args):  # the terminal shows the builds, not each request
            pass

        def do_GET(self):
            if self.path == EVENTS_PATH:
                return self.send_events()
            path = Path(self.translate_path(self.path))
            if path.is_dir() and self.path.split("?")[0].endswith("/"):
                path = path / "index.html"
            if path.suffix == ".html" and path.is_file():
                return self.send_page(path)
            return super().do_GET()

        def send_page(self, path: Path) -> None:
            html = path.read_text(encoding="utf-8")
            script = (RELOAD_SCRIPT.replace("GENERATION", str(state.generation))
                      .replace("EVENTS_PATH", EVENTS_PATH))
            at = html.rfind("</body>")
            body = (html[:at] + script + html[at:] if at >= 0 else html + script).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def send_events(self) -> None:
            """Server-sent events: the state now, then after every build."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            sent = None
            try:
                while True:
                    with state.changed:
                        if state.message() == sent:
                            state.changed.wait(timeout=15)
                        message = state.message()
                    # A comment line when nothing changed: a closed page is noticed and let go.
                    self.wfile.write(message if message != sent else b": no change\n\n")
                    self.wfile.flush()
                    sent = message
            except (BrokenPipeError, ConnectionResetError):
                pass

    return PreviewHandler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0: any free port")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    args = parser.parse_args(argv)
    state = BuildState()
    HTML_DIR.mkdir(parents=True, exist_ok=True)
    server = Server(("127.0.0.1", args.port), handler_for(state))
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"preview: serving {url} (Ctrl-C stops)", flush=True)
    opened = threading.Event()

    def open_browser_once():
        if not args.no_browser and not opened.is_set():
            opened.set()
            webbrowser.open(url)

    signal.signal(signal.SIGTERM, book_build._terminate)
    # Kernels ready to fork for the whole session: a data edit starts its notebooks at once.
    # As a build does, the preview forks them from the server of the process that started it,
    # if that runs one (the test session does).
    execute_notebooks.use_this_checkout()
    kernels = None if kernel_server.server_socket() else kernel_server.KernelServer.start()

    def stop(*_) -> None:
        if kernels is not None:
            kernels.stop()
        execute_notebooks.stop_children()
        print("\npreview: stopped", flush=True)
        # At once, even in the middle of a build (which leaves _build/.unfinished, so that the next
        # one reads every page again), without waiting for the build to unwind.
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        watch_and_build(state, open_browser_once)
    except KeyboardInterrupt:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
