"""Celery tasks of the accounts app: thin wrappers over the services."""

from __future__ import annotations

from celery import shared_task

from apps.accounts import tokens


@shared_task(name="accounts.purge_expired_tokens", ignore_result=True)
def purge_expired_tokens() -> int:
    return tokens.purge_expired_tokens()
