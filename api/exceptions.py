"""Business-rule failures become a 400 with the same message the web pages show.

Anything not found – missing, or outside the user's reach – is the one 404 answer
(`config.errors.NOT_FOUND`), so the message never tells which ids exist.
"""

from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import NOT_FOUND, ApplicationError, PermissionDenied


def exception_handler(exc, context):
    if isinstance(exc, PermissionDenied | Http404 | NotFound):
        exc = NotFound(NOT_FOUND)
    elif isinstance(exc, ApplicationError):
        return Response({**exc.by_field(), "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
