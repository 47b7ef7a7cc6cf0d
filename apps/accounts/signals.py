"""A changed password revokes every API token of the user.

Django has no "password changed" signal, so the user's ``pre_save`` compares the stored hash with the
one being saved. Setting the same password again (the demo seed does each run) or Django re-hashing it
with stronger parameters at sign-in is not a change and keeps the user's devices signed in; a new
password, or an unusable one, signs them all out. Browser sessions need nothing: Django already ends
them when the password hash changes.
"""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from apps.accounts.models import User
from apps.accounts.tokens import revoke_all_tokens


def password_changed(raw_password: str | None, old_hash: str, new_hash: str) -> bool:
    """Whether saving ``new_hash`` over ``old_hash`` changes what the password is."""
    if old_hash == new_hash:
        return False
    # The same password hashed anew (a new salt, stronger parameters) is no change.
    return raw_password is None or not check_password(raw_password, old_hash)


@receiver(pre_save, sender=User, dispatch_uid="accounts.note_password_change")
def _note_password_change(sender, instance: User, raw: bool = False, update_fields=None, **kwargs) -> None:
    instance._password_changed = False
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old_hash = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old_hash is not None:
        instance._password_changed = password_changed(instance._password, old_hash, instance.password)


@receiver(post_save, sender=User, dispatch_uid="accounts.revoke_tokens_on_password_change")
def _revoke_tokens_on_password_change(sender, instance: User, created: bool, **kwargs) -> None:
    if getattr(instance, "_password_changed", False):
        instance._password_changed = False
        revoke_all_tokens(instance)
