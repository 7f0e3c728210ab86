"""Reference data through the API: official codes only, current authorities with their force
and region, the postcode lookup with the referral form's rules, a fixed number of queries."""

import pytest

from regions.models import LocalAuthority
from regions.selectors import OUT_OF_SCOPE_MESSAGE
from tests.clients import APIClient
from tests.factories import CAMDEN, postcodes_load

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(people) -> APIClient:
    return client_for(people.referrer)


def _all(client: APIClient, url: str, **params) -> list[dict]:
    """Every row of a list, following its cursor."""
    rows, page = [], client.get(url, params).json()
    rows += page["results"]
    while page["next"]:
        page = client.get(page["next"]).json()
        rows += page["results"]
    return rows


@pytest.mark.parametrize(
    "url", ["/api/v1/regions/", "/api/v1/police-force-areas/", "/api/v1/local-authorities/"]
)
def test_reference_data_is_for_people_signed_in(db, url):
    assert APIClient().get(url).status_code == 401


def test_regions_and_forces_by_their_codes(api):
    regions = _all(api, "/api/v1/regions/")
    assert {"slug": "london", "name": "London"} in regions
    assert all(set(region) == {"slug", "name"} for region in regions)
    forces = _all(api, "/api/v1/police-force-areas/", region="london")
    assert [force["code"] for force in forces] == ["E23000001", "E23000034"]  # Met, City
    assert forces[0] == {
        "code": "E23000001",
        "name": "Metropolitan Police",
        "region": {"slug": "london", "name": "London"},
    }


def test_local_authorities_are_the_current_ones_with_force_and_region(api):
    listed = _all(api, "/api/v1/local-authorities/", page_size=100)
    codes = [la["code"] for la in listed]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    assert set(codes) == set(
        LocalAuthority.objects.filter(successor__isnull=True).values_list("code", flat=True)
    )
    abolished = LocalAuthority.objects.filter(successor__isnull=False).first()
    assert abolished is not None and abolished.code not in codes
    camden = next(la for la in listed if la["code"] == CAMDEN)
    assert camden == {
        "code": CAMDEN,
        "name": "Camden",
        "police_force_area": {"code": "E23000001", "name": "Metropolitan Police"},
        "region": {"slug": "london", "name": "London"},
    }
    london = _all(api, "/api/v1/local-authorities/", region="london")
    assert len(london) == 33 and {la["region"]["slug"] for la in london} == {"london"}


@pytest.mark.parametrize(
    "url", ["/api/v1/regions/", "/api/v1/police-force-areas/", "/api/v1/local-authorities/"]
)
def test_a_list_is_a_fixed_number_of_queries_whatever_the_page_size(
    api, django_assert_max_num_queries, url
):
    api.get(url)  # warm per-process caches
    counts = []
    for size in (2, 200):
        # The page, and the second-factor check's reads for the signed-in referrer.
        with django_assert_max_num_queries(4) as queries:
            page = api.get(url, {"page_size": size}).json()
        assert len(page["results"]) == min(size, len(_all(api, url, page_size=200)))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_postcode_to_local_authority(api):
    postcodes_load()
    response = api.get("/api/v1/postcodes/nw12db/")
    assert response.status_code == 200
    assert response.json() == {
        "postcode": "NW1 2DB",
        "local_authority": {
            "code": CAMDEN,
            "name": "Camden",
            "police_force_area": {"code": "E23000001", "name": "Metropolitan Police"},
            "region": {"slug": "london", "name": "London"},
        },
    }
    assert api.get("/api/v1/postcodes/NW1 2DB/").json()["postcode"] == "NW1 2DB"


def test_postcode_refusals_say_why(api):
    scottish = api.get("/api/v1/postcodes/EH1 1YZ/")
    assert scottish.status_code == 400
    assert scottish["Content-Type"] == "application/problem+json"
    assert scottish.json()["code"] == "out_of_scope"
    # The referral form's words.
    assert scottish.json()["errors"]["postcode"] == [OUT_OF_SCOPE_MESSAGE]
    northern_irish = api.get("/api/v1/postcodes/BT1 5GS/").json()
    assert northern_irish["errors"]["postcode"] == [OUT_OF_SCOPE_MESSAGE]
    nonsense = api.get("/api/v1/postcodes/not-a-postcode/")
    assert nonsense.status_code == 400
    assert nonsense.json()["errors"]["postcode"] == ["Enter a real postcode, like SW1A 2AA"]
    unknown = api.get("/api/v1/postcodes/ZZ99 9ZZ/")
    assert unknown.status_code == 404
    assert "do not know which local authority" in unknown.json()["detail"]
