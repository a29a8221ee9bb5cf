"""CSRF protection for cookie-authenticated writes.

A browser attaches the session cookie to any request for this site, including one a hostile
page makes it send. So a mutation authenticated by the cookie (and ``login``, which creates
one) runs only when it comes as a JSON POST — the router refuses anything else, and a
cross-site page cannot send JSON without a CORS preflight — and its ``Origin`` is this
server or one of ``TONEARM_CORS_ORIGINS``. Bearer tokens need none of this: a browser never
adds them by itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from tonearm.accounts.viewer import AuthMethod
from tonearm.schema.errors import ErrorCode
from tonearm.web.credentials import origin_allowed

CSRF_MESSAGE = "Cross-site request refused: send mutations as JSON POST from an allowed origin."


def _mutation_fields(operation: OperationDefinitionNode) -> set[str]:
    return {
        selection.name.value
        for selection in operation.selection_set.selections
        if hasattr(selection, "name")
    }


def _operation(document: DocumentNode | None, name: str | None) -> OperationDefinitionNode | None:
    """The operation that will run (the named one, or the only one)."""
    for definition in document.definitions if document else ():
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name is not None and definition.name.value == name)
        ):
            return definition
    return None


class CsrfProtection(SchemaExtension):
    """Refuses cookie-authenticated mutations that could have been forged cross-site."""

    def on_execute(self) -> Iterator[None]:
        """Before execution: check the request if it is a cookie-borne write."""
        context = self.execution_context
        operation = _operation(context.graphql_document, context.operation_name)
        if operation is not None and operation.operation is OperationType.MUTATION:
            ctx = context.context
            cookie_borne = ctx.viewer is not None and ctx.viewer.method is AuthMethod.SESSION
            # login is checked too: a forged login would sign the victim into another account.
            if (cookie_borne or "login" in _mutation_fields(operation)) and not origin_allowed(
                ctx.connection, ctx.services.settings.cors_origins
            ):
                refusal = GraphQLError(
                    CSRF_MESSAGE, extensions={"code": ErrorCode.CSRF_REJECTED.value}
                )
                context.result = GraphQLExecutionResult(data=None, errors=[refusal])
        yield
