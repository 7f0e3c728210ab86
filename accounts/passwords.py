"""Password rules, with messages in plain English (GOV.UK style).

Django's own checks (length, likeness to the person's details, the 20,000 most common
passwords, all numbers) with our wording, and one of the service's own: no repeated characters
or patterns, no keyboard or alphabet sequences, and not the service's own words dressed up with
numbers and symbols (`Prevent12345`, `Ch4nnel!2026`).
"""

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

HOW_TO_CHOOSE = "A good way to make a strong password is to use 3 or more random words."


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"Password must be {self.min_length} characters or more"

    def get_help_text(self) -> str:
        return f"Use {self.min_length} characters or more."


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError(
                "Password must not be like your name or email address",
                code="password_too_similar",
            ) from None

    def get_help_text(self) -> str:
        return "Do not use your name or email address."


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return f"Password is too common and easy to guess. {HOW_TO_CHOOSE}"

    def get_help_text(self) -> str:
        return "Do not use a common password."


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return "Password must not be only numbers"

    def get_help_text(self) -> str:
        return "Do not use only numbers."


# Words of this service and its setting that people reach for; the letters of a password made
# only of these, with digits and symbols around them, are refused.
SERVICE_WORDS = (
    "prevent",
    "channel",
    "panel",
    "referral",
    "referrals",
    "refer",
    "safeguarding",
    "counterterrorism",
    "terrorism",
    "homeoffice",
    "police",
    "password",
    "welcome",
    "letmein",
    "admin",
    "secret",
)
# How digits and symbols stand in for letters ("Pr3v3nt", "P@ssw0rd").
LOOKALIKES = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a"})
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
MIN_DIFFERENT_CHARACTERS = 5
SEQUENCE_RUN = 3  # this many characters in a row along a sequence count as a run


def _repeats_a_pattern(text: str) -> bool:
    """`aaaaaaaaaaaa`, `abcabcabcabc`, `1234123412341234`: a short piece said again and again."""
    return re.fullmatch(r"(.{1,4})\1+.{0,3}", text, re.DOTALL) is not None


def _sequential_share(text: str) -> float:
    """The share of the characters that lie in runs along the alphabet, the digits or a
    keyboard row, either way (`abcdef`, `987654`, `qwerty`)."""
    covered = [False] * len(text)
    for sequence in SEQUENCES:
        for line in (sequence, sequence[::-1]):
            start = 0
            while start < len(text):
                end = start
                while end + 1 < len(text) and (text[end : end + 2] in line):
                    end += 1
                if end - start + 1 >= SEQUENCE_RUN:
                    for i in range(start, end + 1):
                        covered[i] = True
                start = end + 1
    return sum(covered) / len(text) if text else 0.0


def _only_service_words(password: str) -> bool:
    """Whether the letters, once digits and symbols at either end are taken off and look-alikes
    read as letters, are nothing but the service's words (`Prevent12345`, `#Ch4nnelPanel1`)."""
    core = re.sub(r"^[^a-z]+|[^a-z]+$", "", password.lower())
    letters = re.sub(r"[^a-z]", "", core.translate(LOOKALIKES))
    if not letters:
        return False
    return re.fullmatch(f"(?:{'|'.join(SERVICE_WORDS)})+", letters) is not None


class GuessablePasswordValidator:
    """Refuses passwords that pass a length check but an attacker would try early."""

    def validate(self, password: str, user=None) -> None:
        text = password.lower()
        squeezed = re.sub(r"\s+", "", text)
        if _repeats_a_pattern(squeezed) or len(set(squeezed)) < MIN_DIFFERENT_CHARACTERS:
            raise ValidationError(
                f"Password must not repeat the same character or pattern, like ‘aaaaaaaaaaaa’. "
                f"{HOW_TO_CHOOSE}",
                code="password_repetitive",
            )
        if _sequential_share(squeezed) >= 0.6:
            raise ValidationError(
                f"Password must not be a sequence of letters, numbers or keys, like ‘abcdef’, "
                f"‘123456’ or ‘qwerty’. {HOW_TO_CHOOSE}",
                code="password_sequence",
            )
        if _only_service_words(password):
            raise ValidationError(
                f"Password must not be the name of this service or a word like it with numbers "
                f"or symbols added, like ‘Prevent12345’. {HOW_TO_CHOOSE}",
                code="password_service_word",
            )

    def get_help_text(self) -> str:
        return (
            "Do not use repeated characters, sequences like 12345 or qwerty, or the name of "
            "this service."
        )
