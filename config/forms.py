"""GOV.UK form fields and the form that hands its answers to a service: written once.

Forms parse and present; the rules live in services. A `ServiceForm` turns its cleaned data
into a service's keyword arguments, and puts the service's `ApplicationError` (one or several
field errors) back on the fields it names, for the GOV.UK error summary.
"""

from datetime import date

from django import forms
from django.http import HttpRequest
from django.utils import timezone

from .classification import refuse_classified
from .errors import ApplicationError, PermissionDenied

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 10_000
YES_NO = [("yes", "Yes"), ("no", "No")]
DATE_HINT = "For example, 27 3 2026"


def yes(value) -> bool | None:
    return {"yes": True, "no": False, True: True, False: False}.get(value)


class GovukDateInput(forms.MultiWidget):
    """Day, month and year boxes, as in the GOV.UK date input. Names end -day, -month, -year.

    A single ISO date (`2026-03-27`) under the field's own name is read too, which is how
    the API's JSON reaches the same form.
    """

    template_name = "django/forms/widgets/multiwidget.html"

    def __init__(self, attrs=None):
        boxes = [forms.TextInput(attrs={"inputmode": "numeric"}) for _ in range(3)]
        super().__init__(boxes, attrs)
        self.widgets_names = ["-day", "-month", "-year"]

    def decompress(self, value):
        if isinstance(value, date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        whole = data.get(name)
        if isinstance(whole, date):
            return whole
        if isinstance(whole, str) and whole.strip():
            try:
                return date.fromisoformat(whole.strip())
            except ValueError:
                # 2026-02-31 reads as its three parts, so it gets the boxes' own messages.
                parts = whole.strip().split("-")
                if len(parts) == 3:
                    year, month, day = parts
                    return [day, month, year]
                return ["", "", whole]
        return super().value_from_datadict(data, files, name)


class GovukDateField(forms.Field):
    """A real calendar date from three boxes, with the GOV.UK date input's error messages.

    `noun` names the date in messages ("Date of birth must be a real date"); future dates are
    refused unless `allow_future`.
    """

    widget = GovukDateInput

    def __init__(self, *, noun: str, allow_future: bool = False, **kwargs):
        self.noun = noun
        self.allow_future = allow_future
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, date) or value in (None, ""):
            return value or None
        parts = [str(p or "").strip() for p in value]
        names = ["day", "month", "year"]
        missing = [n for n, p in zip(names, parts, strict=True) if not p]
        if len(missing) == 3:
            return None
        if missing:
            raise forms.ValidationError(
                f"{self.noun} must include a {' and '.join(missing)}", code="incomplete"
            )
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError(f"{self.noun} must be a real date", code="invalid")
        day, month, year = (int(p) for p in parts)
        if len(parts[2]) != 4:
            raise forms.ValidationError("Year must include 4 numbers", code="invalid_year")
        try:
            value = date(year, month, day)
        except ValueError as exc:
            raise forms.ValidationError(f"{self.noun} must be a real date", code="invalid") from exc
        if year < 1900:
            raise forms.ValidationError(f"{self.noun} must be after 1900", code="too_early")
        return value

    def validate(self, value):
        super().validate(value)
        if value and not self.allow_future and value > timezone.localdate():
            raise forms.ValidationError(f"{self.noun} must be today or in the past", code="future")


def text(
    label: str,
    required: str | None = None,
    *,
    hint: str = "",
    max_length: int = SHORT_TEXT_MAX,
    noun: str = "",
    **kwargs,
) -> forms.CharField:
    """A text answer; `noun` names it in the length error when the label is a question.

    Every free-text answer of the service is one of these (or a `textarea`), so each refuses
    text marked above OFFICIAL-SENSITIVE (config/classification.py) and anything longer than
    the model column it is stored in (`max_length`; tests/config/test_field_lengths.py).
    """
    noun = noun or label.removesuffix(" (optional)")
    noun = "Your answer" if noun.endswith("?") else noun
    validators = [refuse_classified, *kwargs.pop("validators", [])]
    return forms.CharField(
        label=label,
        required=required is not None,
        max_length=max_length,
        help_text=hint,
        validators=validators,
        error_messages={
            "required": required or "",
            "max_length": f"{noun} must be {max_length:,} characters or fewer",
        },
        **kwargs,
    )


def textarea(
    label: str, required: str | None = None, *, hint: str = "", rows: int = 5, noun: str = ""
) -> forms.CharField:
    return text(
        label,
        required,
        hint=hint,
        noun=noun,
        max_length=LONG_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "true"}),
    )


def radios(
    label: str,
    choices,
    required: str | None = None,
    *,
    hint: str = "",
    coerce=str,
    invalid: str = "",
    **kwargs,
) -> forms.TypedChoiceField:
    """Radios. Without `required` an unanswered question parses as None, for the service to
    judge; an answer that is not one of the choices is always refused here (`invalid`)."""
    invalid = invalid or required or f"Select one of the options for: {label}"
    kwargs.setdefault("empty_value", None)
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=coerce,
        required=required is not None,
        widget=forms.RadioSelect,
        help_text=hint,
        error_messages={"required": required or "", "invalid_choice": invalid},
        **kwargs,
    )


def yes_no(
    label: str, required: str | None = None, *, hint: str = "", choices=YES_NO, invalid: str = ""
) -> forms.TypedChoiceField:
    """Yes or no: True, False, or None when unanswered."""
    return radios(label, choices, required, hint=hint, coerce=yes, invalid=invalid)


def date_field(
    label: str,
    noun: str,
    required: str | None = None,
    *,
    allow_future: bool = False,
    hint=DATE_HINT,
) -> GovukDateField:
    """A GOV.UK date; a date that is not real is refused here, a missing one parses as None."""
    return GovukDateField(
        noun=noun,
        label=label,
        required=required is not None,
        allow_future=allow_future,
        help_text=hint,
        error_messages={"required": required or ""},
    )


class ServiceForm(forms.Form):
    """A form whose answers are handed to one service."""

    # A service's field name -> this form's field, where they differ.
    service_fields: dict[str, str] = {}

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)

    def json_fields(self) -> set[str]:
        """The answers this form takes from a JSON body."""
        return set(self.fields)

    def data_from_json(self, payload: dict) -> dict:
        """Form data from a JSON body, so the API is validated by this very form.

        Yes/no answers may be booleans, dates ISO strings, people and records their public
        identifiers (as the page's own choices use).
        """
        data: dict = {}
        for name, field in self.fields.items():
            if name not in payload or payload[name] is None:
                continue
            value, key = payload[name], self.add_prefix(name)
            if isinstance(field, forms.BooleanField):
                if value is True:
                    data[key] = "on"
            elif isinstance(value, bool):
                data[key] = "yes" if value else "no"
            elif isinstance(value, list):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)
        return data

    def add_service_error(self, exc: ApplicationError) -> None:
        add_service_error(self, exc, self.service_fields)

    def service_kwargs_so_far(self) -> dict | None:
        """The service's arguments from the answers that could be read (the others None, or
        empty for text, which services tidy as text), so the rules' findings can be shown
        beside the answers that could not; None where the form cannot say."""
        cleaned = self.cleaned_data
        unread = {
            name: "" if isinstance(field, forms.CharField) else None
            for name, field in self.fields.items()
        }
        self.cleaned_data = unread | cleaned
        try:
            return self.service_kwargs()
        finally:
            self.cleaned_data = cleaned

    def add_other_service_errors(self, exc: ApplicationError) -> None:
        """The service's findings about the answers this form could read; an answer it could
        not read already has its own error."""
        fresh = [
            (field, message)
            for field, message in exc.errors
            if field is None or not self.has_error(self.service_fields.get(field, field))
        ]
        if fresh:
            self.add_service_error(ApplicationError(errors=fresh))


def add_service_error(
    form: forms.Form, exc: ApplicationError, renamed: dict[str, str] | None = None
) -> None:
    """Put each of a service's errors on the field it names (hidden fields: on the form)."""
    renamed = renamed or {}
    for field, message in exc.errors:
        name = renamed.get(field or "", field)
        if name not in form.fields or isinstance(form.fields[name].widget, forms.HiddenInput):
            name = None
        form.add_error(name, message)


def posted(request: HttpRequest):
    """The submitted answers, even when empty (an empty POST must still show its errors)."""
    return request.POST if request.method == "POST" else None


def refused(form: forms.Form, exc: ApplicationError) -> int:
    """Put a service's refusal on the form; the status to answer with."""
    if isinstance(form, ServiceForm):
        form.add_service_error(exc)
    else:
        add_service_error(form, exc)
    return 403 if isinstance(exc, PermissionDenied) else 200
