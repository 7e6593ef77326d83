#!/usr/bin/env python3
"""Generate the same synthetic site twice: for `qi` and for Hugo.

    gen_site.py PAGES OUT_DIR

writes OUT_DIR/qi (site.toml, content/, theme/) and OUT_DIR/hugo (config.toml,
content/, layouts/, assets/). Both get the same pages, with the same words,
headings, lists, tables and internal links; only the link syntax differs
(`@/sec-03/page-0042.md#background` for qi, `{{< ref "..." >}}` for Hugo,
which both check that the target exists). The output is deterministic: the
same PAGES always gives the same files.

Pages are spread over 19 guidance sections plus a `news` section (dated
pages: the Atom/RSS feed). Each page is 1–3 KB of Markdown.
"""
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
THEMES = os.path.join(os.path.dirname(HERE), "themes")

SECTIONS = 19  # plus news
WORDS = (
    "quality improvement practice physician group plan goal measure baseline target "
    "survey profile chart review data patient care team community setting peer lead "
    "member activity evidence support factor record documentation conversation trusted "
    "opportunity change idea aim statement progress cycle report coach advisor program "
    "requirement credit learning reflection feedback access screening follow-up referral "
    "prescribing monitoring outcome process structure safety wellness workload schedule"
).split()
TOPICS = [
    "Background", "What to expect", "Before you start", "How it works", "Measuring progress",
    "Common questions", "Working with peers", "Using your data", "Next steps", "Examples",
]


def sentence(rng, lo=8, hi=18):
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    # Some emphasis, strong text and code, as authors write them.
    k = rng.random()
    if k < 0.3:
        i = rng.randrange(len(words))
        words[i] = f"*{words[i]}*"
    elif k < 0.5:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    elif k < 0.55:
        i = rng.randrange(len(words))
        words[i] = f"`{words[i]}`"
    s = " ".join(words)
    return s[0].upper() + s[1:] + "."


def paragraph(rng, n=None):
    return " ".join(sentence(rng) for _ in range(n or rng.randint(1, 3)))


def slug(title):
    out, hyphen = [], False
    for c in title.lower():
        if c.isalnum():
            if hyphen and out:
                out.append("-")
            hyphen = False
            out.append(c)
        elif c != "'":
            hyphen = True
    return "".join(out)


def plan(pages):
    """(section index, page number within the section) for every page; the
    news section (index SECTIONS) gets about 5% of the pages."""
    news = max(1, pages // 20)
    rest = pages - news
    out = []
    for n in range(rest):
        out.append((n % SECTIONS, n // SECTIONS))
    for n in range(news):
        out.append((SECTIONS, n))
    return out


def section_dir(s):
    return "news" if s == SECTIONS else f"sec-{s + 1:02d}"


def section_title(s):
    return "News" if s == SECTIONS else f"Topic {s + 1:02d}: {WORDS[(s * 7) % len(WORDS)].capitalize()} {WORDS[(s * 11 + 3) % len(WORDS)]}"


def page_key(s, n):
    return f"{section_dir(s)}/page-{n:05d}.md"


def body(rng, all_pages, link):
    """A page body; `link(key, anchor, text)` writes an internal link."""
    parts = []
    headings = rng.sample(TOPICS, rng.randint(2, 4))
    if "Background" not in headings:
        headings[0] = "Background"  # every page has #background, for anchor links
    for h, title in enumerate(headings):
        parts.append(f"## {title}\n")
        parts.append(paragraph(rng) + "\n")
        if h == 0:
            # Internal links: two to four other pages, one with an anchor.
            targets = rng.sample(all_pages, min(len(all_pages), rng.randint(2, 4)))
            links = [link(t, "background" if i == 0 else None, " ".join(rng.sample(WORDS, 3))) for i, t in enumerate(targets)]
            parts.append("See also " + ", ".join(links) + ".\n")
        kind = rng.random()
        if kind < 0.35:
            parts.append("".join(f"- {sentence(rng, 4, 10)}\n" for _ in range(rng.randint(3, 5))))
        elif kind < 0.55:
            parts.append("".join(f"{i + 1}. {sentence(rng, 4, 10)}\n" for i in range(rng.randint(3, 5))))
        elif kind < 0.75:
            rows = "".join(
                f"| {rng.choice(WORDS).capitalize()} | {rng.randint(1, 120)} | {sentence(rng, 3, 6)} |\n"
                for _ in range(rng.randint(2, 4))
            )
            parts.append("| Measure | Baseline | Notes |\n|---|---:|---|\n" + rows)
        if rng.random() < 0.5:
            sub = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {h + 1}"
            parts.append(f"\n### {sub}\n\n" + paragraph(rng, 2) + "\n")
        parts.append("\n")
    text = "\n".join(parts)
    while len(text) < 1100:  # at least ~1 KB with the front matter
        text += "\n" + paragraph(rng, 2) + "\n"
    return text


def front_matter(title, description, weight=None, date=None, extra=""):
    lines = ["+++", f'title = "{title}"', f'description = "{description}"']
    if weight is not None:
        lines.append(f"weight = {weight}")
    if date is not None:
        lines.append(f"date = {date}")
    if extra:
        lines.append(extra)
    lines.append("+++")
    return "\n".join(lines) + "\n\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def generate(pages, out):
    qi_root = os.path.join(out, "qi")
    hugo_root = os.path.join(out, "hugo")
    for d in (qi_root, hugo_root):
        shutil.rmtree(d, ignore_errors=True)
    all_pages = [page_key(s, n) for s, n in plan(pages)]

    def qi_link(key, anchor, text):
        return f"[{text}](@/{key}{'#' + anchor if anchor else ''})"

    def hugo_link(key, anchor, text):
        return f'[{text}]({{{{< ref "/{key}{"#" + anchor if anchor else ""}" >}}}})'

    home_body = "## About this site\n\n" + paragraph(random.Random(1), 3) + "\n"
    home = front_matter("Synthetic guidance", "A generated site for benchmarking.")
    write(os.path.join(qi_root, "content/_index.md"), home + home_body)
    write(os.path.join(hugo_root, "content/_index.md"), home + home_body)
    for s in range(SECTIONS + 1):
        rng = random.Random(f"section-{s}")
        fm = front_matter(section_title(s), " ".join(rng.choice(WORDS) for _ in range(8)).capitalize(), weight=s + 1)
        text = paragraph(rng) + "\n"
        write(os.path.join(qi_root, "content", section_dir(s), "_index.md"), fm + text)
        hugo_fm = fm
        if s == SECTIONS:
            # Hugo makes a feed for the news section only (qi's Atom feed).
            hugo_fm = fm.replace("+++\n\n", 'outputs = ["HTML", "RSS"]\n+++\n\n', 1)
        write(os.path.join(hugo_root, "content", section_dir(s), "_index.md"), hugo_fm + text)
    for i, (s, n) in enumerate(plan(pages)):
        key = page_key(s, n)
        rng = random.Random(key)
        title = f"{' '.join(rng.sample(WORDS, 3)).capitalize()} {n + 1}"
        description = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))).capitalize()
        date = None
        weight = n + 1
        if s == SECTIONS:
            weight = None
            date = f"20{18 + n % 7}-{1 + n % 12:02d}-{1 + n % 28:02d}"  # all in the past (Hugo skips future pages)
        fm = front_matter(title, description, weight=weight, date=date)
        seed = rng.random()
        write(os.path.join(qi_root, "content", key), fm + body(random.Random(seed), all_pages, qi_link))
        write(os.path.join(hugo_root, "content", key), fm + body(random.Random(seed), all_pages, hugo_link))
    # Hugo has no built-in search page: give it one (qi makes /search/ itself).
    write(os.path.join(hugo_root, "content/search.md"), '+++\ntitle = "Search"\nlayout = "search"\n+++\n')

    write(os.path.join(qi_root, "site.toml"), (
        'title = "Synthetic guidance"\n'
        'base_url = "https://bench.example.org"\n'
        'description = "A generated site for benchmarking."\n'
        'templates_dir = "theme/templates"\n'
        'static_dir = "theme/static"\n'
    ))
    shutil.copytree(os.path.join(THEMES, "qi"), os.path.join(qi_root, "theme"))
    shutil.copytree(os.path.join(THEMES, "hugo"), hugo_root, dirs_exist_ok=True)
    shutil.copytree(os.path.join(THEMES, "static"), os.path.join(qi_root, "theme/static"))
    shutil.copytree(os.path.join(THEMES, "static"), os.path.join(hugo_root, "assets"))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    generate(int(sys.argv[1]), sys.argv[2])
