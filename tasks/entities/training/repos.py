"""Public git repositories read at a pinned commit: the corpora that training and quality recipes read.

Each repository is a bare clone under a sources folder, `<sources>/<owner>/<name>.git`. The first use clones
it from GitHub (`git clone --bare https://github.com/<owner>/<name>.git`) and fetches the pinned commit if
the clone lacks it; a folder laid out the same way by hand (a copy of the clones, no network) works too.
Files are read with `git show <commit>:<path>`, so the work tree never matters and nothing is committed here.
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

# Where recipes keep their clones unless told otherwise (NER_SOURCES in the Makefile, --sources/--mirrors).
DEFAULT_SOURCES = Path.home() / ".cache" / "pagefold" / "sources"


class Repository:
    """One repository at one commit. Raises SystemExit (with git's own message) when it cannot be had."""

    def __init__(self, sources: Path, repo: str, commit: str):
        owner, name = repo.split("/")
        self.repo, self.commit = repo, commit
        self.git_dir = sources / owner / f"{name}.git"
        if not self.git_dir.exists():
            print(f"cloning https://github.com/{repo}.git into {self.git_dir}")
            self.git_dir.parent.mkdir(parents=True, exist_ok=True)
            _git(None, "clone", "--bare", "--quiet", f"https://github.com/{repo}.git", str(self.git_dir))
        if subprocess.run(["git", "--git-dir", str(self.git_dir), "cat-file", "-e", f"{commit}^{{commit}}"],
                          capture_output=True).returncode:
            _git(self.git_dir, "fetch", "--quiet", "origin", commit)

    def read(self, path: str) -> str:
        """The file at `path` (UTF-8, undecodable bytes replaced) as of the pinned commit."""
        return _git(self.git_dir, "show", f"{self.commit}:{path}")

    def names(self, folder: str) -> list[str]:
        """The names of the entries of `folder` as of the pinned commit."""
        listing = _git(self.git_dir, "ls-tree", "--name-only", self.commit, folder.rstrip("/") + "/")
        return [line.rsplit("/", 1)[-1] for line in listing.splitlines()]


def has_repository(sources: Path, repo: str, commit: str) -> bool:
    """Whether `sources` already holds `owner/name` with `commit` (nothing is cloned or fetched)."""
    owner, name = repo.split("/")
    git_dir = sources / owner / f"{name}.git"
    return git_dir.exists() and not subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True).returncode


@lru_cache(maxsize=None)
def open_repository(sources: Path, repo: str, commit: str) -> Repository:
    """The repository `owner/name` at `commit` under `sources`, cloned on first use (once per process)."""
    return Repository(sources, repo, commit)


def _git(git_dir: Path | None, *args: str) -> str:
    command = ["git", *(["--git-dir", str(git_dir)] if git_dir else []), *args]
    done = subprocess.run(command, capture_output=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode(errors='replace')[:300]}")
    return done.stdout.decode("utf-8", errors="replace")
