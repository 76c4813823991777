from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.account_unavailable_problem import AccountUnavailableProblem
    from ..models.batch_results_results_item_body_type_1 import BatchResultsResultsItemBodyType1
    from ..models.capture_exceeds_hold_problem import CaptureExceedsHoldProblem
    from ..models.conflict_problem import ConflictProblem
    from ..models.forbidden_problem import ForbiddenProblem
    from ..models.headers_too_large_problem import HeadersTooLargeProblem
    from ..models.hold_not_pending_problem import HoldNotPendingProblem
    from ..models.idempotency_conflict_problem import IdempotencyConflictProblem
    from ..models.insufficient_credits_problem import InsufficientCreditsProblem
    from ..models.internal_problem import InternalProblem
    from ..models.invalid_amount_problem import InvalidAmountProblem
    from ..models.invalid_json_problem import InvalidJsonProblem
    from ..models.invalid_request_problem import InvalidRequestProblem
    from ..models.invalid_signature_problem import InvalidSignatureProblem
    from ..models.limit_exceeded_problem import LimitExceededProblem
    from ..models.method_not_allowed_problem import MethodNotAllowedProblem
    from ..models.not_found_problem import NotFoundProblem
    from ..models.overdraft_below_debt_problem import OverdraftBelowDebtProblem
    from ..models.payload_too_large_problem import PayloadTooLargeProblem
    from ..models.purchase_not_pending_problem import PurchaseNotPendingProblem
    from ..models.rate_limited_problem import RateLimitedProblem
    from ..models.refund_exceeds_charge_problem import RefundExceedsChargeProblem
    from ..models.unauthorized_problem import UnauthorizedProblem
    from ..models.unavailable_problem import UnavailableProblem
    from ..models.unknown_model_problem import UnknownModelProblem


T = TypeVar("T", bound="BatchResultsResultsItem")


@_attrs_define
class BatchResultsResultsItem:
    """
    Attributes:
        body (AccountUnavailableProblem | BatchResultsResultsItemBodyType1 | CaptureExceedsHoldProblem | ConflictProblem
            | ForbiddenProblem | HeadersTooLargeProblem | HoldNotPendingProblem | IdempotencyConflictProblem |
            InsufficientCreditsProblem | InternalProblem | InvalidAmountProblem | InvalidJsonProblem | InvalidRequestProblem
            | InvalidSignatureProblem | LimitExceededProblem | MethodNotAllowedProblem | NotFoundProblem |
            OverdraftBelowDebtProblem | PayloadTooLargeProblem | PurchaseNotPendingProblem | RateLimitedProblem |
            RefundExceedsChargeProblem | UnauthorizedProblem | UnavailableProblem | UnknownModelProblem): What the
            operation's route would have answered: its resource, or a problem document.
        replayed (bool):
        status (int):
    """

    body: (
        AccountUnavailableProblem
        | BatchResultsResultsItemBodyType1
        | CaptureExceedsHoldProblem
        | ConflictProblem
        | ForbiddenProblem
        | HeadersTooLargeProblem
        | HoldNotPendingProblem
        | IdempotencyConflictProblem
        | InsufficientCreditsProblem
        | InternalProblem
        | InvalidAmountProblem
        | InvalidJsonProblem
        | InvalidRequestProblem
        | InvalidSignatureProblem
        | LimitExceededProblem
        | MethodNotAllowedProblem
        | NotFoundProblem
        | OverdraftBelowDebtProblem
        | PayloadTooLargeProblem
        | PurchaseNotPendingProblem
        | RateLimitedProblem
        | RefundExceedsChargeProblem
        | UnauthorizedProblem
        | UnavailableProblem
        | UnknownModelProblem
    )
    replayed: bool
    status: int

    def to_dict(self) -> dict[str, Any]:
        from ..models.account_unavailable_problem import AccountUnavailableProblem  # noqa: PLC0415
        from ..models.capture_exceeds_hold_problem import CaptureExceedsHoldProblem  # noqa: PLC0415
        from ..models.conflict_problem import ConflictProblem  # noqa: PLC0415
        from ..models.forbidden_problem import ForbiddenProblem  # noqa: PLC0415
        from ..models.headers_too_large_problem import HeadersTooLargeProblem  # noqa: PLC0415
        from ..models.hold_not_pending_problem import HoldNotPendingProblem  # noqa: PLC0415
        from ..models.idempotency_conflict_problem import IdempotencyConflictProblem  # noqa: PLC0415
        from ..models.insufficient_credits_problem import InsufficientCreditsProblem  # noqa: PLC0415
        from ..models.internal_problem import InternalProblem  # noqa: PLC0415
        from ..models.invalid_amount_problem import InvalidAmountProblem  # noqa: PLC0415
        from ..models.invalid_json_problem import InvalidJsonProblem  # noqa: PLC0415
        from ..models.invalid_request_problem import InvalidRequestProblem  # noqa: PLC0415
        from ..models.invalid_signature_problem import InvalidSignatureProblem  # noqa: PLC0415
        from ..models.limit_exceeded_problem import LimitExceededProblem  # noqa: PLC0415
        from ..models.method_not_allowed_problem import MethodNotAllowedProblem  # noqa: PLC0415
        from ..models.not_found_problem import NotFoundProblem  # noqa: PLC0415
        from ..models.overdraft_below_debt_problem import OverdraftBelowDebtProblem  # noqa: PLC0415
        from ..models.payload_too_large_problem import PayloadTooLargeProblem  # noqa: PLC0415
        from ..models.purchase_not_pending_problem import PurchaseNotPendingProblem  # noqa: PLC0415
        from ..models.rate_limited_problem import RateLimitedProblem  # noqa: PLC0415
        from ..models.refund_exceeds_charge_problem import RefundExceedsChargeProblem  # noqa: PLC0415
        from ..models.unauthorized_problem import UnauthorizedProblem  # noqa: PLC0415
        from ..models.unavailable_problem import UnavailableProblem  # noqa: PLC0415
        from ..models.unknown_model_problem import UnknownModelProblem  # noqa: PLC0415

        body: dict[str, Any]
        if isinstance(self.body, InvalidJsonProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, InvalidSignatureProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, UnauthorizedProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, InsufficientCreditsProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, LimitExceededProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, ForbiddenProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, NotFoundProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, MethodNotAllowedProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, ConflictProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, IdempotencyConflictProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, HoldNotPendingProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, PurchaseNotPendingProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, PayloadTooLargeProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, InvalidRequestProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, InvalidAmountProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, UnknownModelProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, CaptureExceedsHoldProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, RefundExceedsChargeProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, OverdraftBelowDebtProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, RateLimitedProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, HeadersTooLargeProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, InternalProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, UnavailableProblem):
            body = self.body.to_dict()
        elif isinstance(self.body, AccountUnavailableProblem):
            body = self.body.to_dict()
        else:
            body = self.body.to_dict()

        replayed = self.replayed

        status = self.status

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "body": body,
                "replayed": replayed,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.account_unavailable_problem import AccountUnavailableProblem  # noqa: PLC0415
        from ..models.batch_results_results_item_body_type_1 import BatchResultsResultsItemBodyType1  # noqa: PLC0415
        from ..models.capture_exceeds_hold_problem import CaptureExceedsHoldProblem  # noqa: PLC0415
        from ..models.conflict_problem import ConflictProblem  # noqa: PLC0415
        from ..models.forbidden_problem import ForbiddenProblem  # noqa: PLC0415
        from ..models.headers_too_large_problem import HeadersTooLargeProblem  # noqa: PLC0415
        from ..models.hold_not_pending_problem import HoldNotPendingProblem  # noqa: PLC0415
        from ..models.idempotency_conflict_problem import IdempotencyConflictProblem  # noqa: PLC0415
        from ..models.insufficient_credits_problem import InsufficientCreditsProblem  # noqa: PLC0415
        from ..models.internal_problem import InternalProblem  # noqa: PLC0415
        from ..models.invalid_amount_problem import InvalidAmountProblem  # noqa: PLC0415
        from ..models.invalid_json_problem import InvalidJsonProblem  # noqa: PLC0415
        from ..models.invalid_request_problem import InvalidRequestProblem  # noqa: PLC0415
        from ..models.invalid_signature_problem import InvalidSignatureProblem  # noqa: PLC0415
        from ..models.limit_exceeded_problem import LimitExceededProblem  # noqa: PLC0415
        from ..models.method_not_allowed_problem import MethodNotAllowedProblem  # noqa: PLC0415
        from ..models.not_found_problem import NotFoundProblem  # noqa: PLC0415
        from ..models.overdraft_below_debt_problem import OverdraftBelowDebtProblem  # noqa: PLC0415
        from ..models.payload_too_large_problem import PayloadTooLargeProblem  # noqa: PLC0415
        from ..models.purchase_not_pending_problem import PurchaseNotPendingProblem  # noqa: PLC0415
        from ..models.rate_limited_problem import RateLimitedProblem  # noqa: PLC0415
        from ..models.refund_exceeds_charge_problem import RefundExceedsChargeProblem  # noqa: PLC0415
        from ..models.unauthorized_problem import UnauthorizedProblem  # noqa: PLC0415
        from ..models.unavailable_problem import UnavailableProblem  # noqa: PLC0415
        from ..models.unknown_model_problem import UnknownModelProblem  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_body(
            data: object,
        ) -> (
            AccountUnavailableProblem
            | BatchResultsResultsItemBodyType1
            | CaptureExceedsHoldProblem
            | ConflictProblem
            | ForbiddenProblem
            | HeadersTooLargeProblem
            | HoldNotPendingProblem
            | IdempotencyConflictProblem
            | InsufficientCreditsProblem
            | InternalProblem
            | InvalidAmountProblem
            | InvalidJsonProblem
            | InvalidRequestProblem
            | InvalidSignatureProblem
            | LimitExceededProblem
            | MethodNotAllowedProblem
            | NotFoundProblem
            | OverdraftBelowDebtProblem
            | PayloadTooLargeProblem
            | PurchaseNotPendingProblem
            | RateLimitedProblem
            | RefundExceedsChargeProblem
            | UnauthorizedProblem
            | UnavailableProblem
            | UnknownModelProblem
        ):
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_0 = InvalidJsonProblem.from_dict(data)

                return componentsschemas_problem_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_1 = InvalidSignatureProblem.from_dict(data)

                return componentsschemas_problem_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_2 = UnauthorizedProblem.from_dict(data)

                return componentsschemas_problem_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_3 = InsufficientCreditsProblem.from_dict(data)

                return componentsschemas_problem_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_4 = LimitExceededProblem.from_dict(data)

                return componentsschemas_problem_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_5 = ForbiddenProblem.from_dict(data)

                return componentsschemas_problem_type_5
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_6 = NotFoundProblem.from_dict(data)

                return componentsschemas_problem_type_6
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_7 = MethodNotAllowedProblem.from_dict(data)

                return componentsschemas_problem_type_7
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_8 = ConflictProblem.from_dict(data)

                return componentsschemas_problem_type_8
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_9 = IdempotencyConflictProblem.from_dict(data)

                return componentsschemas_problem_type_9
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_10 = HoldNotPendingProblem.from_dict(data)

                return componentsschemas_problem_type_10
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_11 = PurchaseNotPendingProblem.from_dict(data)

                return componentsschemas_problem_type_11
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_12 = PayloadTooLargeProblem.from_dict(data)

                return componentsschemas_problem_type_12
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_13 = InvalidRequestProblem.from_dict(data)

                return componentsschemas_problem_type_13
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_14 = InvalidAmountProblem.from_dict(data)

                return componentsschemas_problem_type_14
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_15 = UnknownModelProblem.from_dict(data)

                return componentsschemas_problem_type_15
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_16 = CaptureExceedsHoldProblem.from_dict(data)

                return componentsschemas_problem_type_16
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_17 = RefundExceedsChargeProblem.from_dict(data)

                return componentsschemas_problem_type_17
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_18 = OverdraftBelowDebtProblem.from_dict(data)

                return componentsschemas_problem_type_18
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_19 = RateLimitedProblem.from_dict(data)

                return componentsschemas_problem_type_19
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_20 = HeadersTooLargeProblem.from_dict(data)

                return componentsschemas_problem_type_20
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_21 = InternalProblem.from_dict(data)

                return componentsschemas_problem_type_21
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_22 = UnavailableProblem.from_dict(data)

                return componentsschemas_problem_type_22
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_problem_type_23 = AccountUnavailableProblem.from_dict(data)

                return componentsschemas_problem_type_23
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            body_type_1 = BatchResultsResultsItemBodyType1.from_dict(data)

            return body_type_1

        body = _parse_body(d.pop("body"))

        replayed = d.pop("replayed")

        status = d.pop("status")

        batch_results_results_item = cls(
            body=body,
            replayed=replayed,
            status=status,
        )

        return batch_results_results_item
