"""The flows moved into one package per process: rewrite Viewflow's stored references to them.

Viewflow stores each process's flow class (`viewflow_process.flow_class`) and each task's node
(`viewflow_task.flow_task`) as "app_label/module.path.Class[.node]". Processes in flight under
the old module paths carry on under the new ones; reversing restores the old paths.
"""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr

MOVES = [
    ("workflows/flows.ReferralFlow", "workflows/referral.flows.ReferralFlow"),
    ("workflows/channel_flow.ChannelFlow", "workflows/channel.flows.ChannelFlow"),
    ("workflows/complaint_flow.ComplaintFlow", "workflows/complaint.flows.ComplaintFlow"),
]


def _rewrite(apps, pairs) -> None:
    Process = apps.get_model("viewflow", "Process")
    Task = apps.get_model("viewflow", "Task")
    for old, new in pairs:
        Process.objects.filter(flow_class=old).update(flow_class=new)
        Task.objects.filter(flow_task__startswith=f"{old}.").update(
            flow_task=Concat(Value(f"{new}."), Substr("flow_task", len(old) + 2))
        )


def forwards(apps, schema_editor) -> None:
    _rewrite(apps, MOVES)


def backwards(apps, schema_editor) -> None:
    _rewrite(apps, [(new, old) for old, new in MOVES])


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0002_channel_stage"),
        ("compliance", "0003_complaints_break_glass"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
