from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.account_unavailable_problem import AccountUnavailableProblem
from ...models.capture_exceeds_hold_problem import CaptureExceedsHoldProblem
from ...models.conflict_problem import ConflictProblem
from ...models.hold_not_pending_problem import HoldNotPendingProblem
from ...models.idempotency_conflict_problem import IdempotencyConflictProblem
from ...models.invalid_amount_problem import InvalidAmountProblem
from ...models.invalid_json_problem import InvalidJsonProblem
from ...models.invalid_request_problem import InvalidRequestProblem
from ...models.invalid_signature_problem import InvalidSignatureProblem
from ...models.overdraft_below_debt_problem import OverdraftBelowDebtProblem
from ...models.problem_401 import Problem401
from ...models.problem_403 import Problem403
from ...models.problem_404 import Problem404
from ...models.problem_413 import Problem413
from ...models.problem_429 import Problem429
from ...models.problem_431 import Problem431
from ...models.problem_500 import Problem500
from ...models.purchase_not_pending_problem import PurchaseNotPendingProblem
from ...models.rate_card import RateCard
from ...models.rate_card_document import RateCardDocument
from ...models.refund_exceeds_charge_problem import RefundExceedsChargeProblem
from ...models.unavailable_problem import UnavailableProblem
from ...models.unknown_model_problem import UnknownModelProblem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: RateCardDocument | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/rate-card",
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
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
    | ConflictProblem
    | HoldNotPendingProblem
    | IdempotencyConflictProblem
    | PurchaseNotPendingProblem
    | InvalidJsonProblem
    | InvalidSignatureProblem
    | Problem401
    | Problem403
    | Problem404
    | Problem413
    | Problem429
    | Problem431
    | Problem500
    | RateCard
    | None
):
    if response.status_code == 200:
        response_200 = RateCard.from_dict(response.json())

        return response_200

    if response.status_code == 400:

        def _parse_response_400(data: object) -> InvalidJsonProblem | InvalidSignatureProblem:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_400_type_0 = InvalidJsonProblem.from_dict(data)

                return componentsschemas_problem_400_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_problem_400_type_1 = InvalidSignatureProblem.from_dict(data)

            return componentsschemas_problem_400_type_1

        response_400 = _parse_response_400(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem401.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem403.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem404.from_dict(response.json())

        return response_404

    if response.status_code == 409:

        def _parse_response_409(
            data: object,
        ) -> ConflictProblem | HoldNotPendingProblem | IdempotencyConflictProblem | PurchaseNotPendingProblem:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_409_type_0 = ConflictProblem.from_dict(data)

                return componentsschemas_problem_409_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_409_type_1 = IdempotencyConflictProblem.from_dict(data)

                return componentsschemas_problem_409_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_409_type_2 = HoldNotPendingProblem.from_dict(data)

                return componentsschemas_problem_409_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_problem_409_type_3 = PurchaseNotPendingProblem.from_dict(data)

            return componentsschemas_problem_409_type_3

        response_409 = _parse_response_409(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem413.from_dict(response.json())

        return response_413

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
    | ConflictProblem
    | HoldNotPendingProblem
    | IdempotencyConflictProblem
    | PurchaseNotPendingProblem
    | InvalidJsonProblem
    | InvalidSignatureProblem
    | Problem401
    | Problem403
    | Problem404
    | Problem413
    | Problem429
    | Problem431
    | Problem500
    | RateCard
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: RateCardDocument | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | ConflictProblem
    | HoldNotPendingProblem
    | IdempotencyConflictProblem
    | PurchaseNotPendingProblem
    | InvalidJsonProblem
    | InvalidSignatureProblem
    | Problem401
    | Problem403
    | Problem404
    | Problem413
    | Problem429
    | Problem431
    | Problem500
    | RateCard
]:
    """Install a new rate card version

    Args:
        idempotency_key (str | Unset):
        body (RateCardDocument | Unset): A rate card document, as `GET /v1/rate-card` returns it;
            `version` and `effective_at` may be left out.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountUnavailableProblem | UnavailableProblem | CaptureExceedsHoldProblem | InvalidAmountProblem | InvalidRequestProblem | OverdraftBelowDebtProblem | RefundExceedsChargeProblem | UnknownModelProblem | ConflictProblem | HoldNotPendingProblem | IdempotencyConflictProblem | PurchaseNotPendingProblem | InvalidJsonProblem | InvalidSignatureProblem | Problem401 | Problem403 | Problem404 | Problem413 | Problem429 | Problem431 | Problem500 | RateCard]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: RateCardDocument | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> (
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | ConflictProblem
    | HoldNotPendingProblem
    | IdempotencyConflictProblem
    | PurchaseNotPendingProblem
    | InvalidJsonProblem
    | InvalidSignatureProblem
    | Problem401
    | Problem403
    | Problem404
    | Problem413
    | Problem429
    | Problem431
    | Problem500
    | RateCard
    | None
):
    """Install a new rate card version

    Args:
        idempotency_key (str | Unset):
        body (RateCardDocument | Unset): A rate card document, as `GET /v1/rate-card` returns it;
            `version` and `effective_at` may be left out.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountUnavailableProblem | UnavailableProblem | CaptureExceedsHoldProblem | InvalidAmountProblem | InvalidRequestProblem | OverdraftBelowDebtProblem | RefundExceedsChargeProblem | UnknownModelProblem | ConflictProblem | HoldNotPendingProblem | IdempotencyConflictProblem | PurchaseNotPendingProblem | InvalidJsonProblem | InvalidSignatureProblem | Problem401 | Problem403 | Problem404 | Problem413 | Problem429 | Problem431 | Problem500 | RateCard
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: RateCardDocument | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | ConflictProblem
    | HoldNotPendingProblem
    | IdempotencyConflictProblem
    | PurchaseNotPendingProblem
    | InvalidJsonProblem
    | InvalidSignatureProblem
    | Problem401
    | Problem403
    | Problem404
    | Problem413
    | Problem429
    | Problem431
    | Problem500
    | RateCard
]:
    """Install a new rate card version

    Args:
        idempotency_key (str | Unset):
        body (RateCardDocument | Unset): A rate card document, as `GET /v1/rate-card` returns it;
            `version` and `effective_at` may be left out.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AccountUnavailableProblem | UnavailableProblem | CaptureExceedsHoldProblem | InvalidAmountProblem | InvalidRequestProblem | OverdraftBelowDebtProblem | RefundExceedsChargeProblem | UnknownModelProblem | ConflictProblem | HoldNotPendingProblem | IdempotencyConflictProblem | PurchaseNotPendingProblem | InvalidJsonProblem | InvalidSignatureProblem | Problem401 | Problem403 | Problem404 | Problem413 | Problem429 | Problem431 | Problem500 | RateCard]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: RateCardDocument | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> (
    AccountUnavailableProblem
    | UnavailableProblem
    | CaptureExceedsHoldProblem
    | InvalidAmountProblem
    | InvalidRequestProblem
    | OverdraftBelowDebtProblem
    | RefundExceedsChargeProblem
    | UnknownModelProblem
    | ConflictProblem
    | HoldNotPendingProblem
    | IdempotencyConflictProblem
    | PurchaseNotPendingProblem
    | InvalidJsonProblem
    | InvalidSignatureProblem
    | Problem401
    | Problem403
    | Problem404
    | Problem413
    | Problem429
    | Problem431
    | Problem500
    | RateCard
    | None
):
    """Install a new rate card version

    Args:
        idempotency_key (str | Unset):
        body (RateCardDocument | Unset): A rate card document, as `GET /v1/rate-card` returns it;
            `version` and `effective_at` may be left out.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AccountUnavailableProblem | UnavailableProblem | CaptureExceedsHoldProblem | InvalidAmountProblem | InvalidRequestProblem | OverdraftBelowDebtProblem | RefundExceedsChargeProblem | UnknownModelProblem | ConflictProblem | HoldNotPendingProblem | IdempotencyConflictProblem | PurchaseNotPendingProblem | InvalidJsonProblem | InvalidSignatureProblem | Problem401 | Problem403 | Problem404 | Problem413 | Problem429 | Problem431 | Problem500 | RateCard
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
