#!/usr/bin/env bash
# The real site: `qi check` passes on content/, `qi build` builds it, and every
# internal href/src in the built HTML resolves to a built file (and every
# #fragment to an id on the target page).
set -euo pipefail
cd "$QI_ROOT"

# The qi of the host build 10-rust made (QI_BIN: another one, e.g. built with
# --no-default-features).
source scripts/test.d/host-build.bash
QI="$(qi_host_bin)" || { echo "20-site: no qi binary" >&2; exit 1; }
echo "qi: $QI"

echo "-- qi check"
"$QI" check

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
echo "-- qi build"
"$QI" build --output "$OUT/public"

echo "-- internal links"
python3 - "$OUT/public" <<'PY'
import os, sys
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, unquote

root = sys.argv[1]

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key) is not None:
                self.links.append((tag, key, a[key], self.getpos()[0]))

pages = {}
for dirpath, _, files in os.walk(root):
    for f in files:
        if f.endswith(".html"):
            path = os.path.join(dirpath, f)
            p = Page()
            with open(path, encoding="utf-8") as fh:
                p.feed(fh.read())
            pages[os.path.relpath(path, root)] = p

def target_file(url_path):
    rel = unquote(url_path).lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    if os.path.isfile(os.path.join(root, rel)):
        return rel
    if os.path.isfile(os.path.join(root, rel, "index.html")):
        return os.path.join(rel, "index.html")
    return None

problems, checked = [], 0
for rel, page in sorted(pages.items()):
    page_url = "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    for tag, key, value, line in page.links:
        parts = urlsplit(value)
        if parts.scheme or value.startswith("//"):
            continue  # external (http, mailto, tel): qi check validates their form
        url = urlsplit(urljoin(page_url, value))
        if url.path.startswith("/api/") or url.path == "/api":
            continue  # answered by the API, not a file
        checked += 1
        target = target_file(url.path)
        if target is None:
            problems.append(f"{rel}:{line}: <{tag} {key}=\"{value}\"> points to nothing that was built")
        elif url.fragment and target in pages and unquote(url.fragment) not in pages[target].ids:
            problems.append(f"{rel}:{line}: <{tag} {key}=\"{value}\"> points to a missing id #{url.fragment} in {target}")

print(f"{len(pages)} pages, {checked} internal links checked")
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
