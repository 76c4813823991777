from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.account_unavailable_problem import AccountUnavailableProblem
from ...models.openapi_response_200 import OpenapiResponse200
from ...models.problem_431 import Problem431
from ...models.problem_500 import Problem500
from ...models.unavailable_problem import UnavailableProblem
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/openapi.json",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500 | None:
    if response.status_code == 200:
        response_200 = OpenapiResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 431:
        response_431 = Problem431.from_dict(response.json())

        return response_431

    if response.status_code == 500:
        response_500 = Problem500.from_dict(response.json())

        return response_500

    if response.status_code == 503:

        def _parse_response_503(data: object) -> AccountUnavailableProblem | UnavailableProblem:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_503_type_0 = UnavailableProblem.from_dict(data)

                return componentsschemas_problem_503_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_problem_503_type_1 = AccountUnavailableProblem.from_dict(data)

            return componentsschemas_problem_503_type_1

        response_503 = _parse_response_503(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500]:
    """This API's OpenAPI 3.1 document

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500 | None:
    """This API's OpenAPI 3.1 document

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500]:
    """This API's OpenAPI 3.1 document

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500 | None:
    """This API's OpenAPI 3.1 document

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountUnavailableProblem | UnavailableProblem | OpenapiResponse200 | Problem431 | Problem500
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
