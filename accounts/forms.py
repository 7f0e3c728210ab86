"""The sign-in pages' forms: parse and present, in the GOV.UK pattern's words."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError

from .lockout import email_normalise

WRONG_DETAILS = "Enter a correct email address and password"


class SignInForm(auth_forms.AuthenticationForm):
    """Email and password. Any refusal says the same, so it never tells which part was wrong
    or whether an account has the address."""

    username = forms.CharField(
        label="Email address",
        max_length=254,
        widget=forms.TextInput(
            attrs={"type": "email", "autocomplete": "email", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter your email address"},
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password"},
    )
    error_messages = {"invalid_login": WRONG_DETAILS, "inactive": WRONG_DETAILS}

    def clean_username(self) -> str:
        return email_normalise(self.cleaned_data["username"])

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            # On the email field, so the error summary links to it.
            self.add_error("username", error)
            return self.cleaned_data


def _code_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=32,
        required=False,  # the service says what is missing
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "class": "govuk-input--width-10",
            }
        ),
    )


class CodeForm(forms.Form):
    """The code at sign-in: from the authenticator app, or a backup code."""

    code = _code_field("Enter the code from your authenticator app")


class SetUpCodeForm(forms.Form):
    """The first code from a newly added authenticator app, which confirms it."""

    code = _code_field("Code from your authenticator app")


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.TextInput(
            attrs={"type": "email", "autocomplete": "email", "spellcheck": "false"}
        ),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.gov.uk",
        },
    )


class SetPasswordForm(auth_forms.SetPasswordForm):
    """A new password, checked by AUTH_PASSWORD_VALIDATORS (accounts/passwords.py)."""

    error_messages = {"password_mismatch": "The passwords do not match"}  # nosec B105

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = "New password"
        first.help_text = (
            "Use 12 characters or more. A good way to make a strong password is to use 3 or "
            "more random words. Do not use your name, a common password, repeated characters, "
            "sequences like 12345, or the name of this service."
        )
        first.error_messages["required"] = "Enter a new password"
        second.label = "Confirm new password"
        second.help_text = ""
        second.error_messages["required"] = "Confirm your new password"
