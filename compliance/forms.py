"""The unit's own forms: asking for break-glass access to a linked case, and a second officer's
decision on a request."""

from django import forms

from config.forms import ServiceForm, textarea, yes_no


class BreakGlassForm(forms.Form):
    reason = textarea(
        "Why do you need to see this case?",
        "Enter why you need to see this case",
        hint=(
            "Another officer of the unit must approve your request. Your reason is recorded "
            "with every page you open"
        ),
    )
    minutes = forms.TypedChoiceField(
        label="For how long?",
        help_text="From when your request is approved",
        choices=[("30", "30 minutes"), ("60", "1 hour"), ("120", "2 hours"), ("240", "4 hours")],
        coerce=int,
        initial="60",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select how long you need",
            "invalid_choice": "Select how long you need",
        },
    )


class DecisionForm(ServiceForm):
    """Approve or refuse, and why. The service requires both (compliance.services)."""

    approve = yes_no(
        "Do you approve this request?",
        choices=[("yes", "Approve"), ("no", "Refuse")],
        invalid="Select whether you approve the request",
    )
    reason = textarea(
        "Reason for your decision",
        hint="The requester and the head of the unit see your reason",
        rows=4,
    )
