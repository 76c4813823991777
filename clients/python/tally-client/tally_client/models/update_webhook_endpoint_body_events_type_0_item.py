from enum import StrEnum


class UpdateWebhookEndpointBodyEventsType0Item(StrEnum):
    BALANCE_DEPLETED = "balance.depleted"
    BALANCE_LOW = "balance.low"
    GRANT_CREATED = "grant.created"
    GRANT_EXPIRED = "grant.expired"
    GRANT_EXPIRING = "grant.expiring"
    HOLD_EXPIRED = "hold.expired"
    LIMIT_REACHED = "limit.reached"
    PURCHASE_COMPLETED = "purchase.completed"
    PURCHASE_CREATED = "purchase.created"
    PURCHASE_EXPIRED = "purchase.expired"
    PURCHASE_FAILED = "purchase.failed"
    REFUND_CREATED = "refund.created"
    SUBSCRIPTION_CHANGED = "subscription.changed"
    SUBSCRIPTION_RENEWED = "subscription.renewed"
    TOPUP_REQUESTED = "topup.requested"
    TOPUP_SUSPENDED = "topup.suspended"
    VALUE_0 = "*"

    def __str__(self) -> str:
        return str(self.value)
