"""Schema extensions (abuse limits, caches) and the error policy.

Every error leaves with an ``extensions.code``: resolvers raise coded errors
(``schema/errors.py``); parse, validation and variable failures become ``BAD_USER_INPUT``,
or ``QUERY_TOO_COMPLEX`` when a limit tripped; anything else was unexpected and is masked
(the equivalent of Strawberry's ``MaskErrors``, applied to every final result).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from graphql import ASTValidationRule, GraphQLError, ValidationContext
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from tonearm.db.outages import UNAVAILABLE_MESSAGE, database_unavailable
from tonearm.schema.csrf import CsrfProtection
from tonearm.schema.errors import INTERNAL_ERROR_MESSAGE, ErrorCode, error_code

logger = logging.getLogger("tonearm.graphql")

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
# Distinct documents whose parse and validation results are kept (clients send few).
CACHE_SIZE = 256
# graphql-core's parser wording when ``max_tokens`` is exceeded.
_TOKEN_LIMIT_MESSAGE = "Document contains more than"  # noqa: S105 - not a secret


def is_outage(error: GraphQLError) -> bool:
    """An exception escaped a resolver because the database is unreachable for now
    (``db.outages``): ``SERVICE_UNAVAILABLE``, logged in one line, not a server failure."""
    original = error.original_error
    return (
        error_code(error) is None
        and original is not None
        and not isinstance(original, GraphQLError)
        and database_unavailable(original)
    )


def is_unexpected(error: GraphQLError) -> bool:
    """A failure of the server: an exception escaped a resolver, or a result did not
    serialize. Uncoded errors without a path come from parsing, validating or coercing
    the request: the client's mistakes, coded by ``apply_error_policy``.
    """
    if error_code(error) is not None or error.original_error is None:
        return False
    return not isinstance(error.original_error, GraphQLError) or error.path is not None


class _CodedValidationContext:
    """Delegates to a validation context, tagging each reported error with a code."""

    def __init__(self, context: ValidationContext, code: ErrorCode) -> None:
        self._context = context
        self._code = code

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": self._code.value}
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def _coded_rule(rule: type[ASTValidationRule], code: ErrorCode) -> type[ASTValidationRule]:
    def __init__(self: ASTValidationRule, context: ValidationContext) -> None:
        rule.__init__(self, _CodedValidationContext(context, code))  # type: ignore[arg-type]

    return type(rule.__name__, (rule,), {"__init__": __init__})


def with_code(extension: AddValidationRules, code: ErrorCode) -> AddValidationRules:
    """Make a validation-rule extension's errors carry ``code``."""
    extension.validation_rules = [_coded_rule(rule, code) for rule in extension.validation_rules]
    return extension


def _client_error_code(error: GraphQLError) -> str:
    if _TOKEN_LIMIT_MESSAGE in error.message:
        return ErrorCode.QUERY_TOO_COMPLEX.value
    return ErrorCode.BAD_USER_INPUT.value


def apply_error_policy(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Every error gets a code; unexpected ones become "Internal server error".

    Applied to the final result of every operation (``TonearmSchema.execute``), so it also
    covers errors Strawberry turns into results outside the extension hooks (a parse error
    raised through ``ParserCache``, an exception in an extension).
    """
    processed = []
    for error in errors:
        if is_outage(error):
            processed.append(
                GraphQLError(
                    UNAVAILABLE_MESSAGE,
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    extensions={"code": ErrorCode.SERVICE_UNAVAILABLE.value},
                )
            )
            continue
        if is_unexpected(error):
            processed.append(
                GraphQLError(
                    INTERNAL_ERROR_MESSAGE,
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value},
                )
            )
            continue
        if error_code(error) is None:
            error.extensions = {**(error.extensions or {}), "code": _client_error_code(error)}
        processed.append(error)
    return processed


def api_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories of the extensions every operation runs with, in order.

    Factories, not instances: Strawberry gives each operation fresh extension objects only
    then, and these keep per-operation state (``execution_context``). The limit rules are
    built once, so ``ValidationCache`` (keyed by the rule classes) can hit.
    """
    limits = [
        *with_code(
            QueryDepthLimiter(max_depth=MAX_DEPTH), ErrorCode.QUERY_TOO_COMPLEX
        ).validation_rules,
        *with_code(
            MaxAliasesLimiter(max_alias_count=MAX_ALIASES), ErrorCode.QUERY_TOO_COMPLEX
        ).validation_rules,
    ]
    return [
        CsrfProtection,
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(AddValidationRules, limits),
        partial(ParserCache, maxsize=CACHE_SIZE),
        partial(ValidationCache, maxsize=CACHE_SIZE),
    ]
