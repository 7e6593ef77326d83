#!/usr/bin/env python3
"""Time `qi serve` rebuilding after one page of a served site is edited.

    serve_edit.py QI_BIN SITE_ROOT WORK_DIR

Copies SITE_ROOT (a generated qi site) to WORK_DIR/site, starts
`qi serve` on it, then edits pages one at a time. For each edit it measures
the time from the end of the file write until `GET` of the edited page
returns the new text (polling every 2 ms), and reads the server's own
"rebuilt N pages (M files) in X ms" line. Prints a table.
"""
import os
import queue
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

BODY_EDITS = 7


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except OSError:
        return 0, ""


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    qi, src, work = sys.argv[1:]
    site = os.path.join(work, "site")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(src, site)
    port = free_port()
    proc = subprocess.Popen(
        [qi, "serve", "--root", site, "--port", str(port), "--data-dir", os.path.join(work, "data")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = queue.Queue()
    log = open(os.path.join(work, "serve.log"), "w")

    def pump():
        for line in proc.stderr:
            log.write(line)
            log.flush()
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        first_build = None
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if proc.poll() is not None:
                    sys.exit(f"qi serve exited with {proc.returncode}; see {work}/serve.log")
                continue
            m = re.search(r"^Built .* in ([0-9.]+)s$", line)
            if m:
                first_build = float(m.group(1))
            if line.startswith("Serving the site on"):
                break
        else:
            sys.exit("qi serve did not start within 120 s")
        if get(base + "/")[0] != 200:
            sys.exit("qi serve does not answer GET /")

        def edit(key, url_path, change, marker):
            """Apply `change` to the file, wait for `marker` at url_path."""
            path = os.path.join(site, "content", key)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            while not lines.empty():
                lines.get_nowait()
            new = change(text)
            t0 = time.perf_counter()
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
            while True:
                status, body = get(base + url_path)
                if status == 200 and marker in body:
                    break
                if time.perf_counter() - t0 > 30:
                    sys.exit(f"the edit of {key} was not served within 30 s")
                time.sleep(0.002)
            served = (time.perf_counter() - t0) * 1000
            # The server's own line (printed just before it swaps the files in).
            deadline = time.time() + 5
            while time.time() < deadline:
                try:
                    line = lines.get(timeout=0.2)
                except queue.Empty:
                    continue
                m = re.search(r"rebuilt (\d+) pages? \((\d+) files?\) in ([0-9.]+) ms", line)
                if m:
                    return int(m.group(1)), int(m.group(2)), float(m.group(3)), served, line
                if "rebuilt everything" in line:
                    return None, None, None, served, line
            sys.exit(f"no 'rebuilt ...' line from qi serve after editing {key}; see {work}/serve.log")

        rows = []
        body_runs = []
        for n in range(BODY_EDITS):
            key = f"sec-05/page-{n:05d}.md"
            marker = f"Edited sentence number {n} {time.time_ns()}"
            r = edit(key, f"/sec-05/page-{n:05d}/", lambda t, m=marker: t + f"\n{m}.\n", marker)
            if r[0] is None:
                sys.exit(f"a body edit rebuilt everything: {r[4]}")
            body_runs.append(r)
        key = "sec-07/page-00003.md"
        marker = f"Retitled {time.time_ns()}"
        title_run = edit(key, "/sec-07/page-00003/", lambda t: re.sub(r'^title = ".*"$', f'title = "{marker}"', t, count=1, flags=re.M), marker)
        if title_run[0] is None:
            sys.exit(f"a title edit rebuilt everything: {title_run[4]}")

        med = lambda i: statistics.median(r[i] for r in body_runs)
        pages = sum(1 for _, _, files in os.walk(os.path.join(site, "content")) for f in files if f.endswith(".md"))
        print(f"qi serve on a {pages}-file site: first full build {first_build:.2f} s" if first_build else "qi serve")
        print("| edit | pages re-rendered | files written | server rebuild | file write → page served |")
        print("|---|---:|---:|---:|---:|")
        print(f"| one page's text (median of {BODY_EDITS}) | {med(0):.0f} | {med(1):.0f} | {med(2):.1f} ms | {med(3):.0f} ms |")
        print(f"| one page's title | {title_run[0]} | {title_run[1]} | {title_run[2]:.1f} ms | {title_run[3]:.0f} ms |")
        print("(write → served includes qi serve's 50 ms debounce, which waits for an editor's save to finish)")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
