"""Forms of the task engine's own pages: stopping a task's clock, asking the referrer."""

from config.forms import ServiceForm, text, textarea


class PauseForm(ServiceForm):
    waiting_on = text(
        "Who is the task waiting on?",
        hint="For example, the referrer, children's services or the school",
    )
    reason = textarea("What information is awaited?")


class AskReferrerForm(ServiceForm):
    question = textarea(
        "Your question for the referrer",
        hint=(
            "The referrer is emailed that there is a question, not the question itself. Your "
            "team's open tasks on this case wait until they answer."
        ),
    )
