"""Many referral cases quickly, for query-count tests and benchmarks. Never used in production.

Starting a real process runs the whole flow machinery (routing, guardian grants, audit,
notifications) and takes tens of milliseconds per case. To reach hundreds of cases in seconds,
`bulk_cases` writes the same rows that submission and the flow's first steps write — the
referral, its process, its two open acknowledgement tasks (Viewflow Task + CaseTask) and the
teams' guardian grants — with bulk inserts, and mixes in what the queue filters on: overdue
tasks, risk assessments and possible duplicates. The tests that measure pages also build a few
cases through the real services, so both kinds are on the pages measured.
"""

from datetime import timedelta
from itertools import count

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from guardian.models import GroupObjectPermission
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from referrals.models import PossibleDuplicate, Referral, ReferralStatus
from regions.selectors import route_local_authority
from workflows.engine.models import CaseTask, Rating
from workflows.referral.models import ReferralProcess, RiskAssessment

CAMDEN, WESTMINSTER = "E09000007", "E09000033"
FIRST_NAMES = ["Alex", "Sam", "Jo", "Robin", "Casey", "Jamie", "Riley", "Morgan", "Taylor"]
LAST_NAMES = ["Example", "Sample", "Specimen", "Placeholder", "Instance", "Demo", "Testcase"]

_serial = count(1)


def _grant_rows(referrals, teams, codename: str, model) -> list[GroupObjectPermission]:
    app_label, name = codename.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=name)
    content_type = ContentType.objects.get_for_model(model)
    return [
        GroupObjectPermission(
            permission=permission,
            content_type=content_type,
            object_pk=str(obj.pk),
            group_id=team.group_id,
        )
        for obj, team in ((o, t) for o in referrals for t in teams(o))
    ]


def bulk_cases(n: int, *, referrer, assessor, la_codes=(CAMDEN, WESTMINSTER)) -> list[Referral]:
    """`n` submitted referrals, each with open police and LA acknowledgement tasks.

    Every third case has a risk assessment (so the risk filter has something to find), every
    fifth a pending possible duplicate of the case before it, every seventh overdue tasks.
    """
    from workflows.engine.permissions import VIEW_CASE
    from workflows.referral.flows import ReferralFlow

    routes = [route_local_authority(code) for code in la_codes]
    now = timezone.now()
    today = timezone.localdate()
    batch = next(_serial)
    referrals = Referral.objects.bulk_create(
        [
            Referral(
                created_by=referrer,
                status=ReferralStatus.IN_PROGRESS,
                reference=f"PRV-B{batch:03d}-{i:06d}",
                first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
                last_name=LAST_NAMES[i % len(LAST_NAMES)],
                date_of_birth=today.replace(year=today.year - 14 - i % 30, day=1),
                local_authority=routes[i % len(routes)].local_authority,
                region=routes[i % len(routes)].region,
                police_force_area=routes[i % len(routes)].police_force_area,
                referrer_email=referrer.email,
                concern_type="no_clear_ideology",
                narrative="Generated case for measuring pages.",
                submitted_at=now - timedelta(minutes=i),
            )
            for i in range(n)
        ]
    )
    if not referrals or referrals[0].pk is None:  # backends that do not return ids
        referrals = list(
            Referral.objects.filter(reference__startswith=f"PRV-B{batch:03d}-").order_by("pk")
        )
    route_of = {route.local_authority.pk: route for route in routes}
    # Multi-table inheritance: the process rows cannot be bulk inserted, one insert each.
    processes = [
        ReferralProcess.objects.create(flow_class=ReferralFlow, referral=referral)
        for referral in referrals
    ]
    stages = [
        (ReferralFlow.police_acknowledge, lambda route: route.ctp_team),
        (ReferralFlow.la_acknowledge, lambda route: route.la_team),
    ]
    tasks = Task.objects.bulk_create(
        [
            Task(
                process_id=process.pk,
                flow_task=node,
                flow_task_type="HUMAN",
                status=STATUS.NEW,
                created=now - timedelta(minutes=i),
            )
            for i, process in enumerate(processes)
            for node, _ in stages
        ]
    )
    if not tasks or tasks[0].pk is None:
        tasks = list(Task.objects.filter(process_id__in=[p.pk for p in processes]).order_by("pk"))
    case_tasks = []
    for index, task in enumerate(tasks):
        referral = referrals[index // len(stages)]
        route = route_of[referral.local_authority_id]
        node, team_of = stages[index % len(stages)]
        overdue = (index // len(stages)) % 7 == 0
        case_tasks.append(
            CaseTask(
                task=task,
                referral=referral,
                team=team_of(route),
                region=route.region,
                local_authority=route.local_authority,
                stage=node.name,
                due_on=today - timedelta(days=1) if overdue else today + timedelta(days=5),
                overdue=overdue,
            )
        )
    CaseTask.objects.bulk_create(case_tasks)
    GroupObjectPermission.objects.bulk_create(
        _grant_rows(
            referrals,
            lambda r: [
                route_of[r.local_authority_id].ctp_team,
                route_of[r.local_authority_id].la_team,
                route_of[r.local_authority_id].regional_team,
            ],
            VIEW_CASE,
            Referral,
        )
    )
    ratings = Rating.values
    RiskAssessment.objects.bulk_create(
        [
            RiskAssessment(
                referral=referral,
                engagement_rating=ratings[(i // 3) % 3],
                engagement_evidence="Generated",
                intent_rating=ratings[(i // 3) % 3],
                intent_evidence="Generated",
                capability_rating=ratings[(i // 3) % 3],
                capability_evidence="Generated",
                overall_risk=ratings[(i // 3) % 3],
                summary="Generated",
                assessed_by=assessor,
            )
            for i, referral in enumerate(referrals)
            if i % 3 == 0
        ]
    )
    PossibleDuplicate.objects.bulk_create(
        [
            PossibleDuplicate(referral=referral, earlier=referrals[i - 1], score=0.9)
            for i, referral in enumerate(referrals)
            if i and i % 5 == 0
        ]
    )
    return referrals
