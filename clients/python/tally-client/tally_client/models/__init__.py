"""Contains all the data models used in inputs/outputs"""

from .account import Account
from .account_list import AccountList
from .account_metadata_type_0 import AccountMetadataType0
from .account_unavailable_problem import AccountUnavailableProblem
from .advice import Advice
from .advice_best_type_0 import AdviceBestType0
from .advice_best_type_0_packs_item import AdviceBestType0PacksItem
from .advice_current_type_0 import AdviceCurrentType0
from .advice_current_type_0_packs_item import AdviceCurrentType0PacksItem
from .advice_months_item import AdviceMonthsItem
from .advice_months_item_by_product_item import AdviceMonthsItemByProductItem
from .advice_usage import AdviceUsage
from .advice_usage_by_product_item import AdviceUsageByProductItem
from .alternative import Alternative
from .alternative_cost import AlternativeCost
from .api_key import ApiKey
from .api_key_list import ApiKeyList
from .audit_list import AuditList
from .audit_record import AuditRecord
from .auto_topup import AutoTopup
from .auto_topup_status import AutoTopupStatus
from .balance import Balance
from .balance_depleted_event import BalanceDepletedEvent
from .balance_depleted_event_data import BalanceDepletedEventData
from .balance_depleted_event_data_reason import BalanceDepletedEventDataReason
from .balance_forecast import BalanceForecast
from .balance_grant import BalanceGrant
from .balance_grant_source import BalanceGrantSource
from .balance_grant_status import BalanceGrantStatus
from .balance_low_event import BalanceLowEvent
from .balance_low_event_data import BalanceLowEventData
from .balance_next_expiry_type_0 import BalanceNextExpiryType0
from .balance_next_reset_type_0 import BalanceNextResetType0
from .batch_body import BatchBody
from .batch_results import BatchResults
from .batch_results_results_item import BatchResultsResultsItem
from .batch_results_results_item_body_type_1 import BatchResultsResultsItemBodyType1
from .cancel_purchase_body import CancelPurchaseBody
from .capture_exceeds_hold_problem import CaptureExceedsHoldProblem
from .capture_hold_body import CaptureHoldBody
from .charge import Charge
from .charge_cost import ChargeCost
from .charge_drawn_item import ChargeDrawnItem
from .charge_list import ChargeList
from .charge_metadata_type_0 import ChargeMetadataType0
from .clock import Clock
from .complete_purchase_body import CompletePurchaseBody
from .conflict_problem import ConflictProblem
from .create_account_body import CreateAccountBody
from .create_account_body_metadata_type_0 import CreateAccountBodyMetadataType0
from .create_charge_body import CreateChargeBody
from .create_charge_body_metadata_type_0 import CreateChargeBodyMetadataType0
from .create_grant_body import CreateGrantBody
from .create_grant_body_metadata_type_0 import CreateGrantBodyMetadataType0
from .create_grant_body_source_type_0 import CreateGrantBodySourceType0
from .create_hold_body import CreateHoldBody
from .create_hold_body_metadata_type_0 import CreateHoldBodyMetadataType0
from .create_key_body import CreateKeyBody
from .create_portal_session_body import CreatePortalSessionBody
from .create_purchase_body import CreatePurchaseBody
from .create_quote_body import CreateQuoteBody
from .create_webhook_endpoint_body import CreateWebhookEndpointBody
from .create_webhook_endpoint_body_events_type_0_item import CreateWebhookEndpointBodyEventsType0Item
from .deleted_webhook_endpoint import DeletedWebhookEndpoint
from .delivery_attempt import DeliveryAttempt
from .delivery_attempt_list import DeliveryAttemptList
from .entry import Entry
from .entry_grants_item import EntryGrantsItem
from .entry_list import EntryList
from .entry_type import EntryType
from .event import Event
from .event_data import EventData
from .event_list import EventList
from .event_type import EventType
from .extend_hold_body import ExtendHoldBody
from .fail_purchase_body import FailPurchaseBody
from .forbidden_problem import ForbiddenProblem
from .grant import Grant
from .grant_created_event import GrantCreatedEvent
from .grant_created_event_data import GrantCreatedEventData
from .grant_expired_event import GrantExpiredEvent
from .grant_expired_event_data import GrantExpiredEventData
from .grant_expiring_event import GrantExpiringEvent
from .grant_expiring_event_data import GrantExpiringEventData
from .grant_list import GrantList
from .grant_metadata_type_0 import GrantMetadataType0
from .grant_source import GrantSource
from .grant_status import GrantStatus
from .headers_too_large_problem import HeadersTooLargeProblem
from .health import Health
from .health_status import HealthStatus
from .hold import Hold
from .hold_cost import HoldCost
from .hold_expired_event import HoldExpiredEvent
from .hold_expired_event_data import HoldExpiredEventData
from .hold_list import HoldList
from .hold_metadata_type_0 import HoldMetadataType0
from .hold_not_pending_problem import HoldNotPendingProblem
from .hold_not_pending_problem_hold_status import HoldNotPendingProblemHoldStatus
from .hold_status import HoldStatus
from .idempotency_conflict_problem import IdempotencyConflictProblem
from .insufficient_credits_problem import InsufficientCreditsProblem
from .internal_problem import InternalProblem
from .invalid_amount_problem import InvalidAmountProblem
from .invalid_json_problem import InvalidJsonProblem
from .invalid_request_problem import InvalidRequestProblem
from .invalid_signature_problem import InvalidSignatureProblem
from .limit import Limit
from .limit_exceeded_problem import LimitExceededProblem
from .limit_list import LimitList
from .limit_reached_event import LimitReachedEvent
from .limit_reached_event_data import LimitReachedEventData
from .limit_reached_event_data_reason import LimitReachedEventDataReason
from .limit_scope import LimitScope
from .limit_status import LimitStatus
from .limit_status_by_match_item import LimitStatusByMatchItem
from .limit_status_scope import LimitStatusScope
from .limit_status_window import LimitStatusWindow
from .limit_window import LimitWindow
from .list_all_purchases_status import ListAllPurchasesStatus
from .list_entries_type import ListEntriesType
from .list_events_type import ListEventsType
from .list_grants_status import ListGrantsStatus
from .list_holds_status import ListHoldsStatus
from .list_purchases_status import ListPurchasesStatus
from .method_not_allowed_problem import MethodNotAllowedProblem
from .move_clock_body import MoveClockBody
from .not_found_problem import NotFoundProblem
from .openapi_response_200 import OpenapiResponse200
from .overdraft_below_debt_problem import OverdraftBelowDebtProblem
from .pack import Pack
from .payload_too_large_problem import PayloadTooLargeProblem
from .plan import Plan
from .plan_view import PlanView
from .plan_view_status import PlanViewStatus
from .portal_session import PortalSession
from .problem_401 import Problem401
from .problem_403 import Problem403
from .problem_404 import Problem404
from .problem_405 import Problem405
from .problem_413 import Problem413
from .problem_429 import Problem429
from .problem_431 import Problem431
from .problem_500 import Problem500
from .purchase import Purchase
from .purchase_completed_event import PurchaseCompletedEvent
from .purchase_completed_event_data import PurchaseCompletedEventData
from .purchase_created_event import PurchaseCreatedEvent
from .purchase_created_event_data import PurchaseCreatedEventData
from .purchase_expired_event import PurchaseExpiredEvent
from .purchase_expired_event_data import PurchaseExpiredEventData
from .purchase_failed_event import PurchaseFailedEvent
from .purchase_failed_event_data import PurchaseFailedEventData
from .purchase_list import PurchaseList
from .purchase_not_pending_problem import PurchaseNotPendingProblem
from .purchase_not_pending_problem_purchase_status import PurchaseNotPendingProblemPurchaseStatus
from .purchase_status import PurchaseStatus
from .put_auto_topup_body import PutAutoTopupBody
from .put_limits_body import PutLimitsBody
from .put_limits_body_limits_item import PutLimitsBodyLimitsItem
from .put_limits_body_limits_item_scope import PutLimitsBodyLimitsItemScope
from .put_limits_body_limits_item_window import PutLimitsBodyLimitsItemWindow
from .put_subscription_body import PutSubscriptionBody
from .quote import Quote
from .quote_account import QuoteAccount
from .quote_account_next_reset_type_0 import QuoteAccountNextResetType0
from .quote_cost import QuoteCost
from .quote_line import QuoteLine
from .rate_card import RateCard
from .rate_card_document import RateCardDocument
from .rate_card_document_items_item import RateCardDocumentItemsItem
from .rate_card_items_item import RateCardItemsItem
from .rate_limited_problem import RateLimitedProblem
from .redeliver_event_body import RedeliverEventBody
from .redelivery import Redelivery
from .refund import Refund
from .refund_charge_body import RefundChargeBody
from .refund_created_event import RefundCreatedEvent
from .refund_created_event_data import RefundCreatedEventData
from .refund_exceeds_charge_problem import RefundExceedsChargeProblem
from .refund_hold_body import RefundHoldBody
from .refund_restored_item import RefundRestoredItem
from .rotate_webhook_secret_body import RotateWebhookSecretBody
from .stripe_receipt import StripeReceipt
from .stripe_webhook_body import StripeWebhookBody
from .stripe_webhook_body_data import StripeWebhookBodyData
from .subscription import Subscription
from .subscription_changed_event import SubscriptionChangedEvent
from .subscription_changed_event_data import SubscriptionChangedEventData
from .subscription_renewed_event import SubscriptionRenewedEvent
from .subscription_renewed_event_data import SubscriptionRenewedEventData
from .subscription_status import SubscriptionStatus
from .topup_requested_event import TopupRequestedEvent
from .topup_requested_event_data import TopupRequestedEventData
from .topup_suspended_event import TopupSuspendedEvent
from .topup_suspended_event_data import TopupSuspendedEventData
from .unauthorized_problem import UnauthorizedProblem
from .unavailable_problem import UnavailableProblem
from .unknown_model_problem import UnknownModelProblem
from .update_account_body import UpdateAccountBody
from .update_account_body_metadata_type_0 import UpdateAccountBodyMetadataType0
from .update_webhook_endpoint_body import UpdateWebhookEndpointBody
from .update_webhook_endpoint_body_events_type_0_item import UpdateWebhookEndpointBodyEventsType0Item
from .update_webhook_endpoint_body_status_type_0 import UpdateWebhookEndpointBodyStatusType0
from .usage import Usage
from .usage_action import UsageAction
from .usage_quality import UsageQuality
from .usage_report import UsageReport
from .usage_report_data_item import UsageReportDataItem
from .usage_report_total import UsageReportTotal
from .void_grant_body import VoidGrantBody
from .void_hold_body import VoidHoldBody
from .webhook_endpoint import WebhookEndpoint
from .webhook_endpoint_list import WebhookEndpointList
from .webhook_endpoint_status import WebhookEndpointStatus

__all__ = (
    "Account",
    "AccountList",
    "AccountMetadataType0",
    "AccountUnavailableProblem",
    "Advice",
    "AdviceBestType0",
    "AdviceBestType0PacksItem",
    "AdviceCurrentType0",
    "AdviceCurrentType0PacksItem",
    "AdviceMonthsItem",
    "AdviceMonthsItemByProductItem",
    "AdviceUsage",
    "AdviceUsageByProductItem",
    "Alternative",
    "AlternativeCost",
    "ApiKey",
    "ApiKeyList",
    "AuditList",
    "AuditRecord",
    "AutoTopup",
    "AutoTopupStatus",
    "Balance",
    "BalanceDepletedEvent",
    "BalanceDepletedEventData",
    "BalanceDepletedEventDataReason",
    "BalanceForecast",
    "BalanceGrant",
    "BalanceGrantSource",
    "BalanceGrantStatus",
    "BalanceLowEvent",
    "BalanceLowEventData",
    "BalanceNextExpiryType0",
    "BalanceNextResetType0",
    "BatchBody",
    "BatchResults",
    "BatchResultsResultsItem",
    "BatchResultsResultsItemBodyType1",
    "CancelPurchaseBody",
    "CaptureExceedsHoldProblem",
    "CaptureHoldBody",
    "Charge",
    "ChargeCost",
    "ChargeDrawnItem",
    "ChargeList",
    "ChargeMetadataType0",
    "Clock",
    "CompletePurchaseBody",
    "ConflictProblem",
    "CreateAccountBody",
    "CreateAccountBodyMetadataType0",
    "CreateChargeBody",
    "CreateChargeBodyMetadataType0",
    "CreateGrantBody",
    "CreateGrantBodyMetadataType0",
    "CreateGrantBodySourceType0",
    "CreateHoldBody",
    "CreateHoldBodyMetadataType0",
    "CreateKeyBody",
    "CreatePortalSessionBody",
    "CreatePurchaseBody",
    "CreateQuoteBody",
    "CreateWebhookEndpointBody",
    "CreateWebhookEndpointBodyEventsType0Item",
    "DeletedWebhookEndpoint",
    "DeliveryAttempt",
    "DeliveryAttemptList",
    "Entry",
    "EntryGrantsItem",
    "EntryList",
    "EntryType",
    "Event",
    "EventData",
    "EventList",
    "EventType",
    "ExtendHoldBody",
    "FailPurchaseBody",
    "ForbiddenProblem",
    "Grant",
    "GrantCreatedEvent",
    "GrantCreatedEventData",
    "GrantExpiredEvent",
    "GrantExpiredEventData",
    "GrantExpiringEvent",
    "GrantExpiringEventData",
    "GrantList",
    "GrantMetadataType0",
    "GrantSource",
    "GrantStatus",
    "HeadersTooLargeProblem",
    "Health",
    "HealthStatus",
    "Hold",
    "HoldCost",
    "HoldExpiredEvent",
    "HoldExpiredEventData",
    "HoldList",
    "HoldMetadataType0",
    "HoldNotPendingProblem",
    "HoldNotPendingProblemHoldStatus",
    "HoldStatus",
    "IdempotencyConflictProblem",
    "InsufficientCreditsProblem",
    "InternalProblem",
    "InvalidAmountProblem",
    "InvalidJsonProblem",
    "InvalidRequestProblem",
    "InvalidSignatureProblem",
    "Limit",
    "LimitExceededProblem",
    "LimitList",
    "LimitReachedEvent",
    "LimitReachedEventData",
    "LimitReachedEventDataReason",
    "LimitScope",
    "LimitStatus",
    "LimitStatusByMatchItem",
    "LimitStatusScope",
    "LimitStatusWindow",
    "LimitWindow",
    "ListAllPurchasesStatus",
    "ListEntriesType",
    "ListEventsType",
    "ListGrantsStatus",
    "ListHoldsStatus",
    "ListPurchasesStatus",
    "MethodNotAllowedProblem",
    "MoveClockBody",
    "NotFoundProblem",
    "OpenapiResponse200",
    "OverdraftBelowDebtProblem",
    "Pack",
    "PayloadTooLargeProblem",
    "Plan",
    "PlanView",
    "PlanViewStatus",
    "PortalSession",
    "Problem401",
    "Problem403",
    "Problem404",
    "Problem405",
    "Problem413",
    "Problem429",
    "Problem431",
    "Problem500",
    "Purchase",
    "PurchaseCompletedEvent",
    "PurchaseCompletedEventData",
    "PurchaseCreatedEvent",
    "PurchaseCreatedEventData",
    "PurchaseExpiredEvent",
    "PurchaseExpiredEventData",
    "PurchaseFailedEvent",
    "PurchaseFailedEventData",
    "PurchaseList",
    "PurchaseNotPendingProblem",
    "PurchaseNotPendingProblemPurchaseStatus",
    "PurchaseStatus",
    "PutAutoTopupBody",
    "PutLimitsBody",
    "PutLimitsBodyLimitsItem",
    "PutLimitsBodyLimitsItemScope",
    "PutLimitsBodyLimitsItemWindow",
    "PutSubscriptionBody",
    "Quote",
    "QuoteAccount",
    "QuoteAccountNextResetType0",
    "QuoteCost",
    "QuoteLine",
    "RateCard",
    "RateCardDocument",
    "RateCardDocumentItemsItem",
    "RateCardItemsItem",
    "RateLimitedProblem",
    "RedeliverEventBody",
    "Redelivery",
    "Refund",
    "RefundChargeBody",
    "RefundCreatedEvent",
    "RefundCreatedEventData",
    "RefundExceedsChargeProblem",
    "RefundHoldBody",
    "RefundRestoredItem",
    "RotateWebhookSecretBody",
    "StripeReceipt",
    "StripeWebhookBody",
    "StripeWebhookBodyData",
    "Subscription",
    "SubscriptionChangedEvent",
    "SubscriptionChangedEventData",
    "SubscriptionRenewedEvent",
    "SubscriptionRenewedEventData",
    "SubscriptionStatus",
    "TopupRequestedEvent",
    "TopupRequestedEventData",
    "TopupSuspendedEvent",
    "TopupSuspendedEventData",
    "UnauthorizedProblem",
    "UnavailableProblem",
    "UnknownModelProblem",
    "UpdateAccountBody",
    "UpdateAccountBodyMetadataType0",
    "UpdateWebhookEndpointBody",
    "UpdateWebhookEndpointBodyEventsType0Item",
    "UpdateWebhookEndpointBodyStatusType0",
    "Usage",
    "UsageAction",
    "UsageQuality",
    "UsageReport",
    "UsageReportDataItem",
    "UsageReportTotal",
    "VoidGrantBody",
    "VoidHoldBody",
    "WebhookEndpoint",
    "WebhookEndpointList",
    "WebhookEndpointStatus",
)
