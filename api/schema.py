"""The error answers in the OpenAPI schema, declared in one place.

Every 4xx the API gives is an RFC 9457 problem document (api/exceptions.py), so a client
generated from the schema can read each refusal without special cases. Views declare only the
errors particular to them (a 422 for a reused Idempotency-Key, the postcode's 400 and 404,
with their own words and examples); `problems_declare`, a drf-spectacular postprocessing hook,
adds the ones every endpoint of a kind can give, by the rules that give them:

* 401 and 403 wherever credentials are needed (no or a bad token or session; a token
  without the scope, a session without its second factor, a role the endpoint refuses);
* 404 wherever a path names an object, or a list takes a cursor (one that cannot be read);
* 400 everywhere: an address or answers with characters no one can mean (config/middleware.py
  refuses them before any view), and wherever there is a body, a filter or an action to refuse;
* 415 wherever there is a body (in another format than the ones listed);
* 429 everywhere (the throttles per client and per person, the complaints' hourly limit);

and makes every 4xx's content the `Problem` component, as `application/problem+json`.
"""

from config.errors import NOT_FOUND, PROBLEM_CONTENT_TYPE, problem_document

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem document: what went wrong, for people and for code.",
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": "The kind of problem, as `/api/problems/<code>`",
        },
        "title": {"type": "string", "description": "The HTTP status's phrase"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "The first message, to show as it is"},
        "code": {
            "type": "string",
            "description": "What kind of refusal, e.g. `invalid`, `not_found`, "
            "`not_authenticated`, `permission_denied`, `throttled`, `out_of_scope`",
        },
        "errors": {
            "type": "object",
            "description": "Messages by field: `section.field` inside a referral document, "
            "`non_field_errors` for the whole request. Only for refused input.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}

_DEFAULTS = {
    "400": (
        "The request was refused: the messages say why, by field. Nothing was changed.",
        problem_document(
            400,
            detail="Enter the person's first name",
            code="invalid",
            errors={"person.first_name": ["Enter the person's first name"]},
        ),
    ),
    "401": (
        "No credentials, or a token or session that is not valid (expired, revoked, or "
        "signed out).",
        problem_document(
            401, detail="Authentication credentials were not provided.", code="not_authenticated"
        ),
    ),
    "403": (
        "The caller may not use this endpoint: a token without the scope it needs, a session "
        "still waiting for its second factor, or a role the endpoint is not for.",
        problem_document(
            403,
            detail="This client's token does not have the scope this endpoint needs.",
            code="permission_denied",
        ),
    ),
    "404": (
        "Not found: missing, or outside the caller's reach (the same answer, so it never "
        "tells which ids exist), or a cursor that cannot be read.",
        problem_document(404, detail=NOT_FOUND, code="not_found"),
    ),
    "415": (
        "The body is not in a format this endpoint reads (see its request's content types).",
        problem_document(
            415,
            detail='Unsupported media type "text/plain" in request.',
            code="unsupported_media_type",
        ),
    ),
    "422": (
        "The request was understood but cannot be carried out.",
        problem_document(422, detail="The request cannot be carried out.", code="unprocessable"),
    ),
    "429": (
        "Too many requests: wait for the seconds in `Retry-After`, then try again.",
        problem_document(
            429,
            detail="Request was throttled. Expected available in 12 seconds.",
            code="throttled",
        ),
    ),
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": 'How to authenticate: `Bearer realm="api"`',
        "schema": {"type": "string"},
    }
}


def _statuses(operation: dict) -> set[str]:
    """The 4xx answers this operation can give, by the rules in the module's docstring."""
    statuses = {"400", "429"}
    if any(requirement for requirement in operation.get("security", [])):
        statuses |= {"401", "403"}
    parameters = operation.get("parameters", [])
    places = {(parameter["in"], parameter["name"]) for parameter in parameters}
    if any(where == "path" for where, _ in places) or ("query", "cursor") in places:
        statuses.add("404")
    if "requestBody" in operation:
        statuses.add("415")
    return statuses


def _problem_response(status: str, declared: dict | None) -> dict:
    """The declared answer's description and examples, with the problem document's shape."""
    description, example = _DEFAULTS.get(status, _DEFAULTS["400"])
    declared = declared or {}
    examples = next(
        (
            media["examples"]
            for media in declared.get("content", {}).values()
            if "examples" in media
        ),
        {"problem": {"value": example}},
    )
    response = {
        "description": declared.get("description") or description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF, "examples": examples}},
    }
    headers = {"401": _WWW_AUTHENTICATE, "429": _RETRY_AFTER}.get(status)
    if headers:
        response["headers"] = headers
    return response


def problems_declare(result: dict, generator, request, public: bool) -> dict:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status in _statuses(operation) | {
                code for code in responses if code.startswith("4")
            }:
                responses[status] = _problem_response(status, responses.get(status))
            operation["responses"] = dict(sorted(responses.items()))
    return result
