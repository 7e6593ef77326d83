"""The steps infra/deploy --dry-run printed (its `+ command` lines), for
scripts/test.d/40-infra.sh's order checks."""
import sys


class DryRun:
    def __init__(self, path):
        self.lines = [l for l in open(path) if l.startswith("+ ")]

    def first(self, s):
        """The index of the first step containing `s`; a missing step fails the suite."""
        for i, l in enumerate(self.lines):
            if s in l:
                return i
        sys.exit(f"40-infra: step missing: {s}")
