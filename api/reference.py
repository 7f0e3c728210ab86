"""Reference data: CT policing regions, police force areas, current local authorities, and
which local authority a postcode lies in.

Read-only and the same for every reader, so any caller the API authenticates may read it
(the API's default permissions, whatever authentication they come to include). Everything is
named by its official code (ONS GSS codes for forces and authorities; the region's slug, as
CT policing regions have no GSS code), never by an internal id.
"""

from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import problem_document
from regions.models import CTRegion, LocalAuthority, PoliceForceArea
from regions.selectors import (
    OUT_OF_SCOPE_MESSAGE,
    local_authorities_current,
    local_authority_for_postcode,
    normalise_postcode,
    police_force_areas,
    regions_all,
)

from .models import Scope

# --- Shapes -----------------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CTRegion
        fields = ["slug", "name"]
        read_only_fields = fields


class PoliceForceAreaSerializer(serializers.ModelSerializer):
    region = RegionSerializer(read_only=True)

    class Meta:
        model = PoliceForceArea
        fields = ["code", "name", "region"]
        read_only_fields = fields


class _ForceSerializer(serializers.ModelSerializer):
    class Meta:
        model = PoliceForceArea
        fields = ["code", "name"]
        read_only_fields = fields


class LocalAuthoritySerializer(serializers.ModelSerializer):
    police_force_area = _ForceSerializer(read_only=True)
    region = RegionSerializer(source="police_force_area.region", read_only=True)

    class Meta:
        model = LocalAuthority
        fields = ["code", "name", "police_force_area", "region"]
        read_only_fields = fields


class PostcodeSerializer(serializers.Serializer):
    postcode = serializers.CharField(read_only=True, help_text="Normalised, e.g. 'SW1A 2AA'")
    local_authority = LocalAuthoritySerializer(read_only=True)


# --- Filters ----------------------------------------------------------------------------------


class _ByRegion(filters.FilterSet):
    region = filters.CharFilter(
        field_name="police_force_area__region__slug", help_text="A region's slug, e.g. london"
    )

    class Meta:
        model = LocalAuthority
        fields = ["region"]


class _ForceByRegion(filters.FilterSet):
    region = filters.CharFilter(field_name="region__slug", help_text="A region's slug, e.g. london")

    class Meta:
        model = PoliceForceArea
        fields = ["region"]


# --- Views ------------------------------------------------------------------------------------

_LONDON = {"slug": "london", "name": "London"}
_MET = {"code": "E23000001", "name": "Metropolitan Police"}
_CAMDEN = {"code": "E09000007", "name": "Camden", "police_force_area": _MET, "region": _LONDON}


class _Listed(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A reference list, read by anyone the API lets in (a client with `reference:read`)."""

    client_scopes = Scope.REFERENCE_READ


@extend_schema_view(
    list=extend_schema(
        summary="CT policing regions",
        examples=[OpenApiExample("A region", value=_LONDON, response_only=True)],
    )
)
class RegionViewSet(_Listed):
    serializer_class = RegionSerializer
    cursor_ordering = "slug"

    def get_queryset(self):
        return regions_all()


@extend_schema_view(
    list=extend_schema(
        summary="Police force areas, each with its CT policing region",
        examples=[
            OpenApiExample("A force area", value={**_MET, "region": _LONDON}, response_only=True)
        ],
    )
)
class PoliceForceAreaViewSet(_Listed):
    serializer_class = PoliceForceAreaSerializer
    filterset_class = _ForceByRegion
    cursor_ordering = "code"

    def get_queryset(self):
        return police_force_areas()


@extend_schema_view(
    list=extend_schema(
        summary="Current local authorities, each with its force area and region",
        description="Abolished authorities are not listed: a referral naming one is routed "
        "to its successor.",
        examples=[OpenApiExample("An authority", value=_CAMDEN, response_only=True)],
    )
)
class LocalAuthorityViewSet(_Listed):
    serializer_class = LocalAuthoritySerializer
    filterset_class = _ByRegion
    cursor_ordering = "code"

    def get_queryset(self):
        return local_authorities_current()


class PostcodeUnknown(APIException):
    """Not the API's one "Not found." answer: a postcode is public, so saying it is not in
    the directory discloses nothing, and tells the caller to ask for the authority instead."""

    status_code = status.HTTP_404_NOT_FOUND
    default_code = "postcode_unknown"
    default_detail = (
        "We do not know which local authority this postcode is in. "
        "Ask for the local authority instead."
    )


class PostcodeViewSet(viewsets.GenericViewSet):
    """Postcode to local authority, by the same rules as the referral form."""

    serializer_class = PostcodeSerializer
    client_scopes = Scope.REFERENCE_READ
    lookup_field = "postcode"
    lookup_value_regex = "[^/]+"
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="The local authority a postcode lies in",
        parameters=[
            OpenApiParameter(
                "postcode",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="Any spacing and case, e.g. sw1a2aa",
            )
        ],
        responses={
            200: PostcodeSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,  # a Problem (api/schema.py)
                description="Not shaped like a UK postcode, or outside England and Wales",
                examples=[
                    OpenApiExample(
                        "In Scotland",
                        value=problem_document(
                            400,
                            detail=OUT_OF_SCOPE_MESSAGE,
                            code="out_of_scope",
                            errors={"postcode": [OUT_OF_SCOPE_MESSAGE]},
                        ),
                    )
                ],
            ),
            404: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Not in the postcode directory",
                examples=[
                    OpenApiExample(
                        "Not in the directory",
                        value=problem_document(
                            404,
                            detail=PostcodeUnknown.default_detail,
                            code=PostcodeUnknown.default_code,
                        ),
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "Camden",
                value={"postcode": "NW1 2DB", "local_authority": _CAMDEN},
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def retrieve(self, request: Request, postcode: str, format=None) -> Response:
        postcode = normalise_postcode(postcode)  # RoutingError: a 400 with the form's message
        authority = local_authority_for_postcode(postcode)
        if authority is None:
            raise PostcodeUnknown
        # The successor's force and region: one query more, for one row.
        authority = local_authorities_current().get(pk=authority.pk)
        return Response(
            PostcodeSerializer({"postcode": postcode, "local_authority": authority}).data
        )
