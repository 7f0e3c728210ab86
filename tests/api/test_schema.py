"""The OpenAPI schema is valid OpenAPI 3.1, generates without warnings, and declares every error
answer as the RFC 9457 `Problem` the API really sends."""

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from openapi_spec_validator.readers import read_from_filename

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_the_schema_is_valid_openapi_3_1(schema):
    assert schema["openapi"] == "3.1.0"
    validate(schema, cls=OpenAPIV31SpecValidator)


def test_the_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    spec, _ = read_from_filename(str(out))
    validate(spec)


def test_both_ways_in_are_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["clientToken"]["scheme"] == "bearer"
    assert schemes["cookieAuth"] == {"type": "apiKey", "in": "cookie", "name": "sessionid"}


def test_every_error_answer_is_a_problem_document(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "code", "errors"}
    for path, method, operation in _operations(schema):
        errors = {code: r for code, r in operation["responses"].items() if code.startswith("4")}
        assert "429" in errors, (method, path)
        for code, response in errors.items():
            content = response["content"]
            assert list(content) == ["application/problem+json"], (method, path, code)
            assert content["application/problem+json"]["schema"] == PROBLEM_REF
            assert content["application/problem+json"]["examples"], (method, path, code)


def test_each_error_is_declared_where_it_can_happen(schema):
    responses = {
        (method, path): set(operation["responses"])
        for path, method, operation in _operations(schema)
    }
    assert responses[("post", "/api/v1/referrals/")] >= {"400", "401", "403", "422", "429"}
    assert responses[("get", "/api/v1/referrals/{public_id}/")] >= {"401", "403", "404"}
    assert responses[("get", "/api/v1/cases/")] >= {"400", "401", "403", "404"}  # filters, cursor
    # Anywhere: an address with control characters (config/middleware.py).
    assert "400" in responses[("get", "/api/v1/regions/")]
    # Open to anyone: no credentials to refuse.
    assert responses[("post", "/api/v1/complaints/")] == {"201", "400", "415", "429"}


def test_the_examples_are_in_the_schema(schema):
    create = schema["paths"]["/api/v1/referrals/"]["post"]
    example = create["requestBody"]["content"]["application/json"]["examples"]
    assert next(iter(example.values()))["value"]["person"]["first_name"] == "Testy"
    postcode = schema["paths"]["/api/v1/postcodes/{postcode}/"]["get"]["responses"]["400"]
    examples = postcode["content"]["application/problem+json"]["examples"]
    assert next(iter(examples.values()))["value"]["code"] == "out_of_scope"


def test_fields_that_may_be_null_say_so(schema):
    components = schema["components"]["schemas"]
    assert components["Case"]["properties"]["local_authority"]["type"] == ["string", "null"]
    assert components["Task"]["properties"]["owner"]["type"] == ["string", "null"]
    assert components["MyReferral"]["properties"]["submitted_at"]["type"] == ["string", "null"]


def test_the_served_schema_is_the_generated_one(client, people):
    client.force_login(people.referrer)
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    served = response.json()
    validate(served)
    assert served["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "code",
    ]
