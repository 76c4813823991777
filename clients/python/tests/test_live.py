"""The Python client against a real `tally serve` (TALLY_BIN).

A fresh SQLite file in a temporary directory, a free loopback port, an admin key chosen here,
and a webhook receiver on loopback started by the test. Every call goes through the generated
client (tally_client); the webhook delivery is verified with the stock `standardwebhooks`
library. Nothing leaves 127.0.0.1.

Amounts: the generated models read JSON numbers with the json module, so credits arrive as
`float` (or `int`). Tally writes at most 3 fraction digits and 15 significant digits, which a
float holds exactly as the decimal it was written as: `Decimal(repr(x))` is that decimal.
The test adds credits only as Decimals (floats don't add exactly: 0.1 + 0.2 != 0.3).
"""

import base64
import json
import os
import secrets
import socket
import subprocess
import tempfile
import threading
import time
import unittest
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from standardwebhooks import Webhook, WebhookVerificationError
from tally_client import AuthenticatedClient, Client
from tally_client.api.default import (
    capture_hold,
    create_account,
    create_charge,
    create_grant,
    create_hold,
    create_key,
    create_quote,
    create_webhook_endpoint,
    get_balance,
    get_charge,
    get_event,
    healthz,
    list_accounts,
    list_entries,
    refund_charge,
)
from tally_client.models import (
    CaptureHoldBody,
    CreateAccountBody,
    CreateAccountBodyMetadataType0,
    CreateChargeBody,
    CreateGrantBody,
    CreateHoldBody,
    CreateQuoteBody,
    CreateWebhookEndpointBody,
    CreateWebhookEndpointBodyEventsType0Item,
    InsufficientCreditsProblem,
    InvalidAmountProblem,
    InvalidRequestProblem,
    Problem401,
    Problem403,
    RefundChargeBody,
    Usage,
    UsageAction,
)

DEADLINE_SECONDS = 20.0
ACCOUNT = "acme-py"


def exact(credits) -> Decimal:
    """Credits as the exact decimal Tally wrote (see the module's docstring)."""
    assert isinstance(credits, (int, float)) and not isinstance(credits, bool), credits
    value = Decimal(repr(credits))
    assert value == value.quantize(Decimal("0.001")), f"more than 3 fraction digits: {credits!r}"
    return value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """A webhook receiver on loopback: it logs every delivery and answers 204."""

    def __init__(self):
        self.deliveries = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.changed:
                    receiver.deliveries.append({"path": self.path, "headers": headers, "body": body})
                    receiver.changed.notify_all()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, matches):
        """The first delivery `matches` accepts, once the receiver has it (or fail at the deadline)."""
        with self.changed:
            found = self.changed.wait_for(
                lambda: next((d for d in self.deliveries if matches(d)), None), timeout=DEADLINE_SECONDS
            )
        if found is None:
            raise AssertionError(f"no such delivery in {DEADLINE_SECONDS} s: {self.deliveries!r}")
        return found

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class LiveTest(unittest.TestCase):
    """The product loop, in order (the tests are numbered: unittest runs them by name)."""

    @classmethod
    def setUpClass(cls):
        binary = os.environ.get("TALLY_BIN")
        if not binary:
            raise RuntimeError("TALLY_BIN names the tally binary under test")
        # Each resource is cleaned up even when the set-up fails after it (class cleanups run
        # last in, first out).
        cls.dir = tempfile.TemporaryDirectory(prefix="tally-client-py-")
        cls.addClassCleanup(cls.dir.cleanup)
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.close)
        port = free_port()
        cls.base = f"http://127.0.0.1:{port}"
        cls.admin_key = f"tally_admin_py_{secrets.token_hex(16)}"
        cls.log = open(os.path.join(cls.dir.name, "serve.log"), "w+")
        cls.addClassCleanup(cls.log.close)
        cls.server = subprocess.Popen(
            [
                binary,
                "serve",
                "--db",
                os.path.join(cls.dir.name, "tally.db"),
                "--listen",
                f"127.0.0.1:{port}",
                "--admin-key",
                cls.admin_key,
            ],
            stdin=subprocess.DEVNULL,
            stdout=cls.log,
            stderr=subprocess.STDOUT,
        )
        cls.addClassCleanup(cls.stop_server)
        cls.admin = AuthenticatedClient(base_url=cls.base, token=cls.admin_key, raise_on_unexpected_status=True)
        cls.addClassCleanup(cls.admin.get_httpx_client().close)
        # Ready when /healthz answers: a bounded wait for the process to listen, not an outcome.
        deadline = time.monotonic() + DEADLINE_SECONDS
        anonymous = Client(base_url=cls.base)
        cls.addClassCleanup(anonymous.get_httpx_client().close)
        while True:
            if cls.server.poll() is not None:
                raise RuntimeError(f"tally serve exited before answering /healthz:\n{cls.server_log()}")
            try:
                if healthz.sync_detailed(client=anonymous).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"tally serve did not answer /healthz:\n{cls.server_log()}")
            time.sleep(0.05)
        cls.state = {}

    @classmethod
    def server_log(cls):
        cls.log.seek(0)
        return cls.log.read()

    @classmethod
    def stop_server(cls):
        cls.server.terminate()
        cls.server.wait(timeout=DEADLINE_SECONDS)

    estimate = Usage(
        product="assistant", action=UsageAction.CHAT, model="gpt-4o", input_tokens=1200, max_output_tokens=4096
    )
    actual = Usage(product="assistant", action=UsageAction.CHAT, model="gpt-4o", input_tokens=1200, output_tokens=350)

    def test_01_an_admin_registers_a_webhook_endpoint(self):
        created = create_webhook_endpoint.sync_detailed(
            client=self.admin,
            body=CreateWebhookEndpointBody(
                url=self.receiver.url,
                events=[
                    CreateWebhookEndpointBodyEventsType0Item.GRANT_CREATED,
                    CreateWebhookEndpointBodyEventsType0Item.REFUND_CREATED,
                ],
                description="the Python client's test",
            ),
        )
        self.assertEqual(created.status_code, 201, created.content)
        self.assertTrue(created.parsed.secret.startswith("whsec_"))
        self.state["secret"] = created.parsed.secret

    def test_02_an_admin_creates_an_account_and_grants_credits(self):
        metadata = CreateAccountBodyMetadataType0.from_dict({"crm": "hub-17"})
        account = create_account.sync_detailed(
            client=self.admin, body=CreateAccountBody(id=ACCOUNT, name="Acme (Python)", metadata=metadata)
        )
        self.assertEqual(account.status_code, 201, account.content)
        self.assertEqual(account.parsed.id, ACCOUNT)
        self.assertEqual(account.parsed.metadata.to_dict(), {"crm": "hub-17"})
        granted = Decimal(0)
        for amount in (1000.5, 0.125):
            grant = create_grant.sync_detailed(ACCOUNT, client=self.admin, body=CreateGrantBody(amount=amount))
            self.assertEqual(grant.status_code, 201, grant.content)
            self.assertEqual(exact(grant.parsed.amount), exact(amount))
            granted += exact(amount)
        balance = get_balance.sync(ACCOUNT, client=self.admin)
        self.assertEqual(exact(balance.available), granted)
        self.assertEqual(exact(balance.available), Decimal("1000.625"))
        self.state["granted"] = granted

    def test_03_quote_show_hold_the_max_capture_the_actual_usage(self):
        quote = create_quote.sync_detailed(
            client=self.admin, body=CreateQuoteBody(usage=self.estimate, account_id=ACCOUNT)
        )
        self.assertEqual(quote.status_code, 200, quote.content)
        cost = quote.parsed.cost
        self.assertLess(exact(cost.min_), exact(cost.max_))
        self.assertTrue(quote.parsed.account.affordable)
        # What a product would show before the user commits.
        shown = f"This message costs {exact(cost.min_)} to {exact(cost.max_)} credits"
        self.assertRegex(shown, r"^This message costs [0-9.]+ to [0-9.]+ credits$")

        hold = create_hold.sync_detailed(
            ACCOUNT, client=self.admin, body=CreateHoldBody(usage=self.estimate, ttl_seconds=600)
        )
        self.assertEqual(hold.status_code, 201, hold.content)
        self.assertEqual(hold.parsed.status, "pending")
        self.assertEqual(exact(hold.parsed.amount), exact(cost.max_))

        price = create_quote.sync(client=self.admin, body=CreateQuoteBody(usage=self.actual)).cost
        self.assertEqual(exact(price.min_), exact(price.max_))
        captured = capture_hold.sync_detailed(
            hold.parsed.id, client=self.admin, body=CaptureHoldBody(usage=self.actual)
        )
        self.assertEqual(captured.status_code, 200, captured.content)
        self.assertEqual(captured.parsed.status, "captured")
        self.assertEqual(exact(captured.parsed.captured), exact(price.max_))
        self.assertEqual(exact(captured.parsed.released), exact(cost.max_) - exact(captured.parsed.captured))
        # What the capture and the charge by quote id take, for good.
        self.state["spent"] = exact(captured.parsed.captured)

    def test_03b_an_exact_quote_is_charged_by_its_id_alone(self):
        quote = create_quote.sync(client=self.admin, body=CreateQuoteBody(usage=self.actual, account_id=ACCOUNT))
        self.assertTrue(quote.exact)
        charged = create_charge.sync_detailed(ACCOUNT, client=self.admin, body=CreateChargeBody(quote_id=quote.id))
        self.assertEqual(charged.status_code, 201, charged.content)
        self.assertEqual(exact(charged.parsed.amount), exact(quote.cost.max_))
        self.assertEqual(charged.parsed.quote_id, quote.id)
        self.state["spent"] += exact(charged.parsed.amount)

    def test_04_a_charge_with_an_idempotency_key_and_its_replay(self):
        key = f"msg-{secrets.token_hex(8)}"
        body = CreateChargeBody(amount=2.375, product="assistant", member="ada")
        first = create_charge.sync_detailed(ACCOUNT, client=self.admin, body=body, idempotency_key=key)
        self.assertEqual(first.status_code, 201, first.content)
        self.assertNotIn("idempotent-replayed", first.headers)
        self.assertEqual(exact(first.parsed.amount), Decimal("2.375"))
        expected_after = self.state["granted"] - self.state["spent"] - Decimal("2.375")
        self.assertEqual(exact(first.parsed.available_after), expected_after)

        replay = create_charge.sync_detailed(ACCOUNT, client=self.admin, body=body, idempotency_key=key)
        self.assertEqual(replay.status_code, 201)
        self.assertEqual(replay.headers.get("idempotent-replayed"), "true")
        self.assertEqual(replay.parsed.to_dict(), first.parsed.to_dict())
        self.assertEqual(json.loads(replay.content), json.loads(first.content))
        self.state["charge"] = first.parsed

    def test_05_a_refund_of_that_charge(self):
        charge = self.state["charge"]
        refund = refund_charge.sync_detailed(
            charge.id, client=self.admin, body=RefundChargeBody(reason="the answer was cut off")
        )
        self.assertEqual(refund.status_code, 201, refund.content)
        self.assertEqual(exact(refund.parsed.amount), Decimal("2.375"))
        self.assertEqual(refund.parsed.charge_id, charge.id)
        self.assertEqual(exact(get_charge.sync(charge.id, client=self.admin).refunded), Decimal("2.375"))

    def test_06_the_entries_add_up_to_the_balance_exactly(self):
        page = list_entries.sync(ACCOUNT, client=self.admin, limit=1000)
        self.assertFalse(page.has_more)
        types = [entry.type_ for entry in reversed(page.data)]
        self.assertEqual(types, ["grant", "grant", "hold", "capture", "release", "charge", "charge", "refund"])
        posted = sum((exact(entry.amount) for entry in page.data), Decimal(0))
        held = sum((exact(entry.held) for entry in page.data), Decimal(0))
        balance = get_balance.sync(ACCOUNT, client=self.admin)
        self.assertEqual(exact(balance.posted), posted)
        self.assertEqual(exact(balance.held), held)
        self.assertEqual(exact(balance.available), posted - held)
        self.assertEqual(exact(balance.available), self.state["granted"] - self.state["spent"])
        # Floats don't add credits exactly; their decimals do.
        self.assertNotEqual(0.1 + 0.2, 0.3)
        self.assertEqual(exact(0.1) + exact(0.2), exact(0.3))

    def test_07_errors_are_typed_problems(self):
        broke = create_charge.sync_detailed(ACCOUNT, client=self.admin, body=CreateChargeBody(amount=1_000_000))
        self.assertEqual(broke.status_code, 402)
        self.assertIsInstance(broke.parsed, InsufficientCreditsProblem)
        self.assertEqual(broke.parsed.code, "insufficient_credits")
        self.assertEqual(exact(broke.parsed.available), self.state["granted"] - self.state["spent"])
        self.assertEqual(exact(broke.parsed.required), Decimal(1_000_000))
        self.assertTrue(broke.headers["content-type"].startswith("application/problem+json"))

        invalid = create_hold.sync_detailed(ACCOUNT, client=self.admin, body=CreateHoldBody(amount=5, ttl_seconds=0))
        self.assertEqual(invalid.status_code, 422)
        self.assertIsInstance(invalid.parsed, InvalidRequestProblem)
        self.assertEqual(invalid.parsed.param, "ttl_seconds")

        too_precise = create_charge.sync_detailed(ACCOUNT, client=self.admin, body=CreateChargeBody(amount=1.2345))
        self.assertEqual(too_precise.status_code, 422)
        self.assertIsInstance(too_precise.parsed, InvalidAmountProblem)
        self.assertEqual(too_precise.parsed.param, "amount")

    def test_08_an_account_key_acts_on_its_own_account_only(self):
        key = create_key.sync_detailed(ACCOUNT, client=self.admin)
        self.assertEqual(key.status_code, 201, key.content)
        with AuthenticatedClient(base_url=self.base, token=key.parsed.key) as own:
            balance = get_balance.sync(ACCOUNT, client=own)
            self.assertEqual(exact(balance.available), self.state["granted"] - self.state["spent"])
            listing = list_accounts.sync_detailed(client=own)
        self.assertEqual(listing.status_code, 403)
        self.assertIsInstance(listing.parsed, Problem403)
        with AuthenticatedClient(base_url=self.base, token="tk_live_not_a_key") as nobody:
            refused = get_balance.sync_detailed(ACCOUNT, client=nobody)
        self.assertEqual(refused.status_code, 401)
        self.assertIsInstance(refused.parsed, Problem401)

    def test_09_a_webhook_delivery_verifies_with_standardwebhooks(self):
        # Gate on the receiver having the refund's event, not on time.
        delivery = self.receiver.wait_for(lambda d: json.loads(d["body"]).get("type") == "refund.created")
        self.assertEqual(delivery["path"], "/hooks")
        self.assertEqual(delivery["headers"]["content-type"], "application/json")
        secret = self.state["secret"]
        payload = Webhook(secret).verify(delivery["body"], delivery["headers"])
        self.assertEqual(payload["type"], "refund.created")
        self.assertEqual(payload["id"], delivery["headers"]["webhook-id"])
        self.assertEqual(payload["account_id"], ACCOUNT)
        self.assertEqual(payload["data"]["refund"]["charge_id"], self.state["charge"].id)

        stored = get_event.sync_detailed(payload["id"], client=self.admin)
        self.assertEqual(stored.status_code, 200, stored.content)
        self.assertEqual(stored.parsed.type_, "refund.created")
        self.assertEqual(json.loads(stored.content), json.loads(delivery["body"]))
        # A tampered body, or another secret, does not verify.
        with self.assertRaises(WebhookVerificationError):
            Webhook(secret).verify(delivery["body"].replace(b"2.375", b"2.376"), delivery["headers"])
        with self.assertRaises(WebhookVerificationError):
            Webhook("whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()).verify(
                delivery["body"], delivery["headers"]
            )

    def test_10_fifteen_significant_digits_come_back_exactly(self):
        big = create_account.sync_detailed(client=self.admin, body=CreateAccountBody(name="Big (Python)"))
        self.assertEqual(big.status_code, 201, big.content)
        account = big.parsed.id
        grant = create_grant.sync_detailed(account, client=self.admin, body=CreateGrantBody(amount=123_456_789_012.125))
        self.assertEqual(grant.status_code, 201, grant.content)
        charged = create_charge.sync_detailed(account, client=self.admin, body=CreateChargeBody(amount=0.001))
        self.assertEqual(charged.status_code, 201, charged.content)
        self.assertEqual(exact(charged.parsed.available_after), Decimal("123456789012.124"))
        self.assertEqual(exact(get_balance.sync(account, client=self.admin).available), Decimal("123456789012.124"))


if __name__ == "__main__":
    unittest.main()
