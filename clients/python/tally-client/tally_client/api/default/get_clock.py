from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.clock import Clock
from ...models.problem_401 import Problem401
from ...models.problem_403 import Problem403
from ...models.problem_404 import Problem404
from ...models.problem_429 import Problem429
from ...models.problem_431 import Problem431
from ...models.problem_500 import Problem500
from ...models.problem_503 import Problem503
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/clock",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503 | None:
    if response.status_code == 200:
        response_200 = Clock.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem401.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem403.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem404.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = Problem429.from_dict(response.json())

        return response_429

    if response.status_code == 431:
        response_431 = Problem431.from_dict(response.json())

        return response_431

    if response.status_code == 500:
        response_500 = Problem500.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Problem503.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503]:
    """Read the test clock

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503 | None:
    """Read the test clock

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503]:
    """Read the test clock

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503 | None:
    """Read the test clock

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Clock | Problem401 | Problem403 | Problem404 | Problem429 | Problem431 | Problem500 | Problem503
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
