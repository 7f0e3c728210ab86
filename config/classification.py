"""The one rule for protective markings above OFFICIAL-SENSITIVE: written once, used by every
free-text field (config/forms.py's `text` and `textarea`), the API (through the same forms),
the referral journey and the check of uploaded files.

This service holds OFFICIAL-SENSITIVE records only, so text or a file marked SECRET or TOP
SECRET must never be stored here. The check is a safety net against material pasted or
uploaded by mistake, not a classification service. Before looking for a marking the text is
normalised, so that look-alike spellings are caught too:

* Unicode NFKC, which folds full-width and other compatibility forms (``ＳＥＣＲＥＴ``, ``ᵀᴼᴾ``...);
* invisible format characters (zero-width spaces and joiners, soft hyphens, bidirectional
  marks) and NUL bytes are removed, so ``SEC\u200bRET`` reads as ``SECRET``;
* a few Cyrillic and Greek capitals that look exactly like Latin ones (``ЅЕСRЕТ``) are read
  as the Latin letters;
* matching is case-insensitive (casefolded), and the letters may be spaced out or dotted
  (``S E C R E T``, ``S.E.C.R.E.T``), since a marking is sometimes written that way.

What is a marking: the word SECRET, or TOP SECRET, standing on its own (``UK SECRET``,
``SECRET//NOFORN``, ``Top Secret``, ``Secret``). What is not: the word inside another word
(``secretary``, ``secretly``, ``SECRETS``) and the ordinary English word written in lower case
(``he kept it a secret``): markings are written with capitals, and refusing every lower-case
"secret" would turn away real safeguarding concerns. ``OFFICIAL`` and ``OFFICIAL-SENSITIVE``
are this service's own markings and are accepted.
"""

import re
import sys
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

MARKED_TEXT_MESSAGE = (
    "Do not enter information classified above OFFICIAL-SENSITIVE, such as material marked "
    "SECRET or TOP SECRET. Send it through the appropriate secure channel instead, for example "
    "by contacting your police Prevent team"
)
MARKED_FILE_MESSAGE = (
    "The selected file is marked SECRET or TOP SECRET and must not be uploaded here: do not "
    "upload information classified above OFFICIAL-SENSITIVE. Send it through the appropriate "
    "secure channel instead, for example by contacting your police Prevent team"
)

# Capitals of other scripts that are drawn exactly like the Latin letters of the markings.
_LOOK_ALIKES = str.maketrans(
    {
        "\u0405": "S",  # Cyrillic DZE
        "\u0455": "s",
        "\u0415": "E",  # Cyrillic IE
        "\u0435": "e",
        "\u0395": "E",  # Greek EPSILON
        "\u0421": "C",  # Cyrillic ES
        "\u0441": "c",
        "\u03f9": "C",  # Greek lunate SIGMA
        "\u0422": "T",  # Cyrillic TE
        "\u03a4": "T",  # Greek TAU
        "\u041e": "O",  # Cyrillic O
        "\u043e": "o",
        "\u039f": "O",  # Greek OMICRON
        "\u03bf": "o",
        "\u0420": "P",  # Cyrillic ER
        "\u0440": "p",
        "\u03a1": "P",  # Greek RHO
        "\u0280": "R",  # Latin letter small capital R
    }
)

# Unicode's invisible format characters (category Cf), and NUL: removed before matching.
_INVISIBLE_RE = re.compile(
    "[\x00"
    + "".join(
        re.escape(chr(code))
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) == "Cf"
    )
    + "]"
)

# Between the letters of a spaced-out marking: one run of spaces, dots, hyphens or underscores.
_GAP = r"[\s.\-_·*]?\s*"


def _spelled(word: str) -> str:
    return _GAP.join(re.escape(letter) for letter in word)


# A letter may not touch the marking on either side ("secretary", "INSECRET").
_MARKING_RE = re.compile(
    rf"(?<![^\W\d_])(?:(?P<top>{_spelled('top')}[\s_\-]*{_spelled('secret')})"
    rf"|{_spelled('secret')})(?![^\W\d_])",
    re.IGNORECASE,
)


def normalised(text: str) -> str:
    """`text` as the marking check reads it: NFKC, invisible characters removed, look-alike
    capitals read as Latin. Case is kept, so that lower-case prose can be told apart."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE_RE.sub("", text)
    return text.translate(_LOOK_ALIKES)


def marking_found(text: str | None) -> str | None:
    """The protective marking above OFFICIAL-SENSITIVE in `text` ("SECRET" or "TOP SECRET"),
    or None."""
    if not text:
        return None
    for match in _MARKING_RE.finditer(normalised(text)):
        written = match.group(0)
        if written == written.casefold():
            continue  # the ordinary word, in lower case
        return "TOP SECRET" if match.group("top") else "SECRET"
    return None


@deconstructible
class NoMarkingAboveOfficialSensitive:
    """Form-field validator: refuses text carrying a SECRET or TOP SECRET marking."""

    message = MARKED_TEXT_MESSAGE
    code = "classified"

    def __call__(self, value) -> None:
        if isinstance(value, str) and marking_found(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, NoMarkingAboveOfficialSensitive)


refuse_classified = NoMarkingAboveOfficialSensitive()
