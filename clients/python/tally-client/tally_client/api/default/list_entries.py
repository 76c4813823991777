import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.account_unavailable_problem import AccountUnavailableProblem
from ...models.capture_exceeds_hold_problem import CaptureExceedsHoldProblem
from ...models.entry_list import EntryList
from ...models.invalid_amount_problem import InvalidAmountProblem
from ...models.invalid_request_problem import InvalidRequestProblem
from ...models.list_entries_type import ListEntriesType
from ...models.overdraft_below_debt_problem import OverdraftBelowDebtProblem
from ...models.problem_401 import Problem401
from ...models.problem_404 import Problem404
from ...models.problem_429 import Problem429
from ...models.problem_431 import Problem431
from ...models.problem_500 import Problem500
from ...models.refund_exceeds_charge_problem import RefundExceedsChargeProblem
from ...models.unavailable_problem import UnavailableProblem
from ...models.unknown_model_problem import UnknownModelProblem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    type_: ListEntriesType | Unset = UNSET,
    product: str | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["starting_after"] = starting_after

    json_type_: str | Unset = UNSET
    if not isinstance(type_, Unset):
        json_type_ = type_.value

    params["type"] = json_type_

    params["product"] = product

    json_from_: str | Unset = UNSET
    if not isinstance(from_, Unset):
        json_from_ = from_.isoformat()
    params["from"] = json_from_

    json_to: str | Unset = UNSET
    if not isinstance(to, Unset):
        json_to = to.isoformat()
    params["to"] = json_to

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/accounts/{id}/entries".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | EntryList
    | Problem401
    | Problem404
    | Problem429
    | Problem431
    | Problem500
    | None
):
    if response.status_code == 200:
        response_200 = EntryList.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem401.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem404.from_dict(response.json())

        return response_404

    if response.status_code == 422:

        def _parse_response_422(
            data: object,
        ) -> (
            CaptureExceedsHoldProblem
            | InvalidAmountProblem
            | InvalidRequestProblem
            | OverdraftBelowDebtProblem
            | RefundExceedsChargeProblem
            | UnknownModelProblem
        ):
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_422_type_0 = InvalidRequestProblem.from_dict(data)

                return componentsschemas_problem_422_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_422_type_1 = InvalidAmountProblem.from_dict(data)

                return componentsschemas_problem_422_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_422_type_2 = UnknownModelProblem.from_dict(data)

                return componentsschemas_problem_422_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_422_type_3 = CaptureExceedsHoldProblem.from_dict(data)

                return componentsschemas_problem_422_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_422_type_4 = RefundExceedsChargeProblem.from_dict(data)

                return componentsschemas_problem_422_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_problem_422_type_5 = OverdraftBelowDebtProblem.from_dict(data)

            return componentsschemas_problem_422_type_5

        response_422 = _parse_response_422(response.json())

        return response_422

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
) -> Response[
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | EntryList
    | Problem401
    | Problem404
    | Problem429
    | Problem431
    | Problem500
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    type_: ListEntriesType | Unset = UNSET,
    product: str | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
) -> Response[
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | EntryList
    | Problem401
    | Problem404
    | Problem429
    | Problem431
    | Problem500
]:
    """List ledger entries

    Args:
        id (str):
        limit (int | Unset):
        starting_after (str | Unset):
        type_ (ListEntriesType | Unset):
        product (str | Unset):
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountUnavailableProblem | UnavailableProblem | CaptureExceedsHoldProblem | InvalidAmountProblem | InvalidRequestProblem | OverdraftBelowDebtProblem | RefundExceedsChargeProblem | UnknownModelProblem | EntryList | Problem401 | Problem404 | Problem429 | Problem431 | Problem500]
    """

    kwargs = _get_kwargs(
        id=id,
        limit=limit,
        starting_after=starting_after,
        type_=type_,
        product=product,
        from_=from_,
        to=to,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    type_: ListEntriesType | Unset = UNSET,
    product: str | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
) -> (
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | EntryList
    | Problem401
    | Problem404
    | Problem429
    | Problem431
    | Problem500
    | None
):
    """List ledger entries

    Args:
        id (str):
        limit (int | Unset):
        starting_after (str | Unset):
        type_ (ListEntriesType | Unset):
        product (str | Unset):
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountUnavailableProblem | UnavailableProblem | CaptureExceedsHoldProblem | InvalidAmountProblem | InvalidRequestProblem | OverdraftBelowDebtProblem | RefundExceedsChargeProblem | UnknownModelProblem | EntryList | Problem401 | Problem404 | Problem429 | Problem431 | Problem500
    """

    return sync_detailed(
        id=id,
        client=client,
        limit=limit,
        starting_after=starting_after,
        type_=type_,
        product=product,
        from_=from_,
        to=to,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    type_: ListEntriesType | Unset = UNSET,
    product: str | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
) -> Response[
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | EntryList
    | Problem401
    | Problem404
    | Problem429
    | Problem431
    | Problem500
]:
    """List ledger entries

    Args:
        id (str):
        limit (int | Unset):
        starting_after (str | Unset):
        type_ (ListEntriesType | Unset):
        product (str | Unset):
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountUnavailableProblem | UnavailableProblem | CaptureExceedsHoldProblem | InvalidAmountProblem | InvalidRequestProblem | OverdraftBelowDebtProblem | RefundExceedsChargeProblem | UnknownModelProblem | EntryList | Problem401 | Problem404 | Problem429 | Problem431 | Problem500]
    """

    kwargs = _get_kwargs(
        id=id,
        limit=limit,
        starting_after=starting_after,
        type_=type_,
        product=product,
        from_=from_,
        to=to,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = UNSET,
    starting_after: str | Unset = UNSET,
    type_: ListEntriesType | Unset = UNSET,
    product: str | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
) -> (
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | EntryList
    | Problem401
    | Problem404
    | Problem429
    | Problem431
    | Problem500
    | None
):
    """List ledger entries

    Args:
        id (str):
        limit (int | Unset):
        starting_after (str | Unset):
        type_ (ListEntriesType | Unset):
        product (str | Unset):
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountUnavailableProblem | UnavailableProblem | CaptureExceedsHoldProblem | InvalidAmountProblem | InvalidRequestProblem | OverdraftBelowDebtProblem | RefundExceedsChargeProblem | UnknownModelProblem | EntryList | Problem401 | Problem404 | Problem429 | Problem431 | Problem500
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            limit=limit,
            starting_after=starting_after,
            type_=type_,
            product=product,
            from_=from_,
            to=to,
        )
    ).parsed
