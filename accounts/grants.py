"""Object grants (django-guardian) as the service reads them: without the superuser shortcut.

`user.has_perm(perm, obj)` answers True for any active superuser, and so would hand case
content to an administrator. Case content is never an administrator's by default (DESIGN,
roles), so every object-level question the service asks goes through `object_granted`, which
gives a superuser only what was granted to them or their groups, like anyone else. The list
twins already pass `with_superuser=False` to guardian's `get_objects_for_user`.
"""

from django.db.models import Model
from guardian.shortcuts import get_objects_for_user


def object_granted(user, perm: str, obj: Model) -> bool:
    """Whether `perm` on `obj` was granted to the user or one of their groups."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if not user.is_superuser:
        return user.has_perm(perm, obj)  # guardian's backend and its per-user cache
    return get_objects_for_user(
        user,
        perm,
        klass=type(obj).objects.filter(pk=obj.pk),
        accept_global_perms=False,
        with_superuser=False,
    ).exists()
