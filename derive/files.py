"""Where things are (a source checkout or an installed package), and writing files so that an
interrupted run never leaves a half-written one behind."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


PACKAGE = Path(__file__).resolve().parent


def checkout() -> Path | None:
    """The source checkout this package runs from (its templates/ beside derive/), or None when
    it is installed."""
    root = PACKAGE.parent
    return root if (root / "templates").is_dir() and (root / "pyproject.toml").is_file() else None


def templates_dir() -> Path:
    """The Jinja2 templates: templates/ of a checkout, or the copy an installed package ships."""
    root = checkout()
    return root / "templates" if root else PACKAGE / "templates"


def generated_dir() -> Path:
    """Where `generate` writes by default: generated/ of a checkout, else ./generated."""
    root = checkout()
    return root / "generated" if root else Path.cwd() / "generated"


def atomic_write(path, write, suffix: str = ".tmp") -> None:
    """Call `write(temporary path)` in `path`'s folder, then rename the result onto `path` with
    the mode a plain write would give it (mkstemp's files are 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
