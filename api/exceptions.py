"""Business-rule failures become a 400 with the same message the web pages show."""

from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import ApplicationError, PermissionDenied


def exception_handler(exc, context):
    if isinstance(exc, PermissionDenied):
        exc = Http404()
    elif isinstance(exc, ApplicationError):
        return Response({**exc.by_field(), "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
