"""Object permissions for teams, written in bulk.

django-guardian's `assign_perm` costs five or six queries a grant (the group, the content
type, the permission, a get-or-create in a savepoint); opening one task grants two and
routing a case three. Here every grant of one call is one INSERT (conflicts ignored, so a
grant already held stays as it is) and every revocation one DELETE, with permission ids
looked up once per process. The rows are guardian's own (`get_group_obj_perms_model`, the
generic group model this project uses), so guardian's checks read them unchanged.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.db.models.signals import post_migrate
from guardian.utils import get_group_obj_perms_model

_permission_ids: dict[tuple[int, str], int] = {}


def _clear_cache(**kwargs) -> None:
    """Permission rows are recreated after a flush or migration: forget their ids."""
    _permission_ids.clear()
    ContentType.objects.clear_cache()


post_migrate.connect(_clear_cache, dispatch_uid="workflows.engine.grants.clear_cache")


def _permission_id(content_type: ContentType, perm: str) -> int:
    codename = perm.split(".", 1)[-1]
    key = (content_type.pk, codename)
    if key not in _permission_ids:
        _permission_ids[key] = Permission.objects.get(
            content_type=content_type, codename=codename
        ).pk
    return _permission_ids[key]


def groups_grant(perms: Iterable[str], groups: Iterable[Group | int], obj: Model) -> None:
    """Give each group each permission on `obj`, in one INSERT."""
    model = get_group_obj_perms_model()
    content_type = ContentType.objects.get_for_model(obj)
    perm_ids = [_permission_id(content_type, perm) for perm in perms]
    rows = [
        model(
            permission_id=perm_id,
            content_type_id=content_type.pk,
            object_pk=str(obj.pk),
            group_id=getattr(group, "pk", group),
        )
        for group in groups
        for perm_id in perm_ids
    ]
    if rows:
        model.objects.bulk_create(rows, ignore_conflicts=True)


def groups_revoke(perms: Iterable[str], groups: Iterable[Group | int] | None, obj: Model) -> None:
    """Take each permission on `obj` away from each group (None: from every group), in one
    DELETE."""
    model = get_group_obj_perms_model()
    content_type = ContentType.objects.get_for_model(obj)
    rows = model.objects.filter(
        content_type_id=content_type.pk,
        object_pk=str(obj.pk),
        permission_id__in=[_permission_id(content_type, perm) for perm in perms],
    )
    if groups is not None:
        group_ids = [getattr(group, "pk", group) for group in groups]
        if not group_ids:
            return
        rows = rows.filter(group_id__in=group_ids)
    rows.delete()
