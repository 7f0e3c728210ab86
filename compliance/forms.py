"""The unit's own form: asking for break-glass access to a linked case."""

from django import forms

from config.forms import textarea


class BreakGlassForm(forms.Form):
    reason = textarea(
        "Why do you need to see this case?",
        "Enter why you need to see this case",
        hint="Your reason is recorded with every page you open",
    )
    minutes = forms.TypedChoiceField(
        label="For how long?",
        choices=[("30", "30 minutes"), ("60", "1 hour"), ("120", "2 hours"), ("240", "4 hours")],
        coerce=int,
        initial="60",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select how long you need",
            "invalid_choice": "Select how long you need",
        },
    )
