"""How the regional adviser's queue page scales: time and queries at two sizes, in one run.

    .venv/bin/python bench/queue_bench.py                     # 100 and 2,000 cases, SQLite
    DATABASE_URL=postgres://... .venv/bin/python bench/queue_bench.py --small 200 --large 5000

Builds a throwaway test database (as the test suite does), fills it with `--small` cases,
measures the queue page (median of `--repeat` requests after a warm-up) and its query count,
adds cases up to `--large`, measures again, and prints both and their ratio. Each case has two
open tasks, so the queue holds twice as many rows as there are cases. A ratio near 1 means the
page does not slow down as cases grow; the query-count ratio must be exactly 1.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def _measure(client, url: str, repeat: int) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings) * 1000, len(captured), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100, help="cases at the smaller size")
    parser.add_argument("--large", type=int, default=2000, help="cases at the larger size")
    parser.add_argument("--repeat", type=int, default=15, help="requests measured per page")
    args = parser.parse_args()
    if args.large <= args.small:
        parser.error("--large must be more than --small")

    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment

    from accounts.models import User
    from accounts.roles import Role
    from bench.casegen import CAMDEN, bulk_cases
    from regions.selectors import route_local_authority
    from regions.services import team_add_member

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        route = route_local_authority(CAMDEN)

        def person(email, role, *teams):
            user = User.objects.create_user(email=email, password="x" * 16, full_name=email)
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])
            for team in teams:
                team_add_member(team=team, user=user)
            return user

        adviser = person("adviser@bench.example", Role.REGIONAL_ADVISER, route.regional_team)
        police = person("officer@bench.example", Role.CTP_PREVENT_OFFICER, route.ctp_team)
        referrer = person("dsl@bench.example", Role.REFERRER)
        client = Client()
        client.force_login(adviser)
        pages = {
            "queue": "/queue/",
            "queue, filtered and sorted": "/queue/?risk_level=medium&overdue=on&sort=-reference",
            "queue, last page": "/queue/?page=100000",
        }

        results = {}
        built = 0
        for size in (args.small, args.large):
            started = time.perf_counter()
            while built < size:
                step = min(500, size - built)
                bulk_cases(step, referrer=referrer, assessor=police)
                built += step
            print(f"built {size} cases in {time.perf_counter() - started:.1f}s", flush=True)
            results[size] = {
                name: _measure(client, url, args.repeat) for name, url in pages.items()
            }

        small, large = results[args.small], results[args.large]
        print()
        print(f"{'page':<30}{'cases':>8}{'ms (median)':>14}{'queries':>10}")
        for name in pages:
            for size, result in ((args.small, small), (args.large, large)):
                ms, queries, _ = result[name]
                print(f"{name:<30}{size:>8}{ms:>14.1f}{queries:>10}")
        print()
        print(f"ratio at {args.large} vs {args.small} cases ({args.large / args.small:.0f}x data):")
        for name in pages:
            time_ratio = large[name][0] / small[name][0]
            query_ratio = large[name][1] / small[name][1]
            print(f"  {name:<30} time {time_ratio:5.2f}   queries {query_ratio:4.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
