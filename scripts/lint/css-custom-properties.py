"""CSS gate: one set of custom properties for site/static/css, defined once.

Rules (each failure is printed as file:line: message):
  - every custom property (--name: ...) is defined exactly once, in one
    `:root` rule at the top level of one stylesheet;
  - every var(--name) names a defined property, and every defined property is used;
  - colour literals (#hex, rgb(), hsl()) appear only in that `:root`: every
    other colour comes from a property, so one change recolours the site;
  - one focus colour: `--focus` is the only property named for focus, and every
    outline drawn in a :focus rule uses var(--focus);
  - one accent: `--accent` exists, other accent-named properties are its
    shades (--accent-*), and `accent-color` uses var(--accent).

Usage: python3 scripts/lint/css-custom-properties.py [DIR]   (default site/static/css)
"""

import re
import sys
from pathlib import Path

COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch)\(")
DEFINITION = re.compile(r"^\s*(--[A-Za-z0-9_-]+)\s*:(.*)$", re.S)
USE = re.compile(r"var\(\s*(--[A-Za-z0-9_-]+)")


def rules(path):
    """Yields (selector, at_rule_nesting, declarations) for every style rule in a
    stylesheet; declarations are (line, text). Comments and strings are honoured."""
    text = path.read_text(encoding="utf-8")
    stack, buf, line, buf_line = [], [], 1, 1
    decls = []
    i = 0
    while i < len(text):
        c = text[i]
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = len(text) if end < 0 else end + 2
            line += text.count("\n", i, end)
            i = end
            continue
        if c in "\"'":
            end = i + 1
            while end < len(text) and text[end] != c:
                end += 2 if text[end] == "\\" else 1
            buf.append(text[i : end + 1])
            i = end + 1
            continue
        if c == "{":
            head = " ".join("".join(buf).split())
            stack.append((head, decls))
            decls = []
            buf = []
        elif c == "}":
            if "".join(buf).strip():
                decls.append((buf_line, "".join(buf).strip()))
            head, outer = stack.pop()
            if not head.startswith("@"):
                yield head, [h for h, _ in stack if h.startswith("@")], decls
            decls, buf = outer, []
        elif c == ";":
            # A declaration ends here; at the top level or in @media it was an
            # at-statement such as @import, which holds no declarations.
            if stack and not stack[-1][0].startswith("@") and "".join(buf).strip():
                decls.append((buf_line, "".join(buf).strip()))
            buf = []
        else:
            if not "".join(buf).strip():
                buf_line = line
            buf.append(c)
        if c == "\n":
            line += 1
        i += 1


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "site/static/css")
    files = sorted(root.glob("*.css"))
    if not files:
        sys.exit(f"css-custom-properties: no stylesheets in {root}")
    problems, defined, used, root_rules = [], {}, {}, []
    focus_outlines, accent_colors, literals = [], [], []
    for path in files:
        for selector, at_rules, decls in rules(path):
            is_root = selector == ":root" and not at_rules
            if is_root:
                root_rules.append(f"{path}:{decls[0][0] if decls else 0}")
            for line, decl in decls:
                where = f"{path}:{line}"
                m = DEFINITION.match(decl)
                for name in USE.findall(decl):
                    used.setdefault(name, where)
                if m:
                    name = m.group(1)
                    if not is_root:
                        problems.append(f"{where}: {name} is defined outside the top-level :root rule (in `{' '.join(at_rules + [selector])}`)")
                    if name in defined:
                        problems.append(f"{where}: {name} is defined again (first at {defined[name]})")
                    else:
                        defined[name] = where
                    continue
                prop, _, value = decl.partition(":")
                prop = prop.strip().lower()
                if COLOUR.search(value):
                    literals.append(f"{where}: colour literal in `{selector}` {{ {decl} }}: use a custom property from :root")
                if ":focus" in selector and prop in ("outline", "outline-color") and not re.search(r"\bnone\b|transparent|var\(--focus\)", value):
                    focus_outlines.append(f"{where}: focus outline in `{selector}` does not use var(--focus): {decl}")
                if prop == "accent-color" and "var(--accent)" not in value:
                    accent_colors.append(f"{where}: accent-color does not use var(--accent): {decl}")
    if len(root_rules) > 1:
        problems.append("custom properties are split over several :root rules: " + ", ".join(root_rules))
    problems += literals + focus_outlines + accent_colors
    for name, where in sorted(used.items()):
        if name not in defined:
            problems.append(f"{where}: var({name}) is never defined")
    for name, where in sorted(defined.items()):
        if name not in used:
            problems.append(f"{where}: {name} is defined but never used")
    focus = sorted(n for n in defined if "focus" in n)
    if focus != ["--focus"]:
        problems.append(f"one focus colour: expected exactly --focus, found {focus or 'none'}")
    accent = sorted(n for n in defined if "accent" in n)
    if "--accent" not in accent or any(n != "--accent" and not n.startswith("--accent-") for n in accent):
        problems.append(f"one accent: expected --accent and its --accent-* shades, found {accent or 'none'}")
    if problems:
        print("\n".join(problems), flush=True)
        sys.exit(f"css-custom-properties: {len(problems)} problem(s)")
    print(f"css: {len(defined)} custom properties, each defined once in :root, across {len(files)} stylesheets; one focus colour, one accent")


if __name__ == "__main__":
    main()
