"""The unit tests' fake clients are checked against the protocols the readers are written for
(`PagingClient`, `ApiClient` in sources/instagram/helpers/client.py, over `RunClient`), as `InstagramClient` is: a
fake that drifts from the real client (a renamed parameter, a missing attribute) fails here
rather than letting a unit test pass against a client that does not exist."""

from __future__ import annotations

import inspect

import pytest

from sources.instagram.helpers.client import ApiClient, InstagramClient, PagingClient

from .fakes import FeedClient, GraphClient


def protocol_methods(protocol: type) -> dict[str, inspect.Signature]:
    """The methods `protocol` declares (its own and inherited), by name."""
    return {
        name: inspect.signature(member)
        for klass in protocol.__mro__
        if klass not in (object,) and getattr(klass, "_is_protocol", False)
        for name, member in vars(klass).items()
        if callable(member) and not name.startswith("_")
    }


def parameters(signature: inspect.Signature) -> list[tuple[str, inspect._ParameterKind, object]]:
    """Names, kinds and defaults of a method's parameters, `self` left out."""
    return [(p.name, p.kind, p.default) for p in signature.parameters.values() if p.name != "self"]


CLIENTS = [
    (FeedClient([], page_size=2), PagingClient),
    (GraphClient({}), ApiClient),
    (InstagramClient("http://127.0.0.1:1/v1", "a-token-for-the-check"), ApiClient),
]


@pytest.mark.parametrize(("client", "protocol"), CLIENTS, ids=lambda value: type(value).__name__)
def test_a_client_has_what_its_protocol_declares(client: object, protocol: type) -> None:
    assert isinstance(client, protocol)  # every attribute and method is there
    for name, declared in protocol_methods(protocol).items():
        assert parameters(inspect.signature(getattr(client, name))) == parameters(declared), name
