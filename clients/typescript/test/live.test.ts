// The TypeScript client against a real `tally serve` (TALLY_BIN): a fresh SQLite file in a
// temporary directory, a free loopback port, an admin key chosen here, and a webhook receiver
// on loopback started by the test. Every call goes through the generated client; the webhook
// delivery is verified with the stock `standardwebhooks` library. Nothing leaves 127.0.0.1.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Webhook } from "standardwebhooks";

import { createTallyClient, credits, millicredits, type Schemas, type TallyClient } from "../src/index.js";

const DEADLINE_MS = 20_000;

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let dir = "";
let server: ChildProcess | undefined;
let serverLog = "";
let receiver: Server | undefined;
let receiverUrl = "";
const deliveries: Delivery[] = [];
const waiters: Array<() => void> = [];
let admin: TallyClient;
let base = "";
const adminKey = `tally_admin_ts_${randomBytes(16).toString("hex")}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once the receiver holds a delivery `matches` accepts (or rejects at the deadline). */
function delivered(matches: (delivery: Delivery) => boolean): Promise<Delivery> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no such delivery in ${DEADLINE_MS} ms`)), DEADLINE_MS);
    const look = () => {
      const found = deliveries.find(matches);
      if (found) {
        clearTimeout(timer);
        resolve(found);
        return true;
      }
      return false;
    };
    if (!look()) {
      waiters.push(function again() {
        if (!look()) waiters.push(again);
      });
    }
  });
}

before(async () => {
  const bin = process.env.TALLY_BIN;
  assert.ok(bin, "TALLY_BIN names the tally binary under test");
  dir = mkdtempSync(join(tmpdir(), "tally-client-ts-"));

  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      deliveries.push({
        path: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      response.writeHead(204).end();
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(
    bin,
    ["serve", "--db", join(dir, "tally.db"), "--listen", `127.0.0.1:${port}`, "--admin-key", adminKey],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout!.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
  admin = createTallyClient({ baseUrl: base, apiKey: adminKey });

  // Ready when /healthz answers: a bounded wait for the process to listen, not an outcome.
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    assert.equal(server.exitCode, null, `tally serve exited before answering /healthz:\n${serverLog}`);
    try {
      const { response } = await admin.GET("/healthz");
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    assert.ok(Date.now() < deadline, `tally serve did not answer /healthz:\n${serverLog}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  await new Promise((resolve) => receiver?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ACCOUNT = "acme-ts";
const estimate = {
  product: "assistant",
  action: "chat",
  model: "gpt-4o",
  input_tokens: 1200,
  max_output_tokens: 4096,
} as const;
const actual = { product: "assistant", action: "chat", model: "gpt-4o", input_tokens: 1200, output_tokens: 350 } as const;

// Filled in as the loop goes (the tests below run in order).
let secret = "";
let granted = 0n;
let spent = 0n; // what the capture and the charge by quote id took, for good
let charge: Schemas["Charge"] | undefined;

test("an admin registers a webhook endpoint on the test's receiver", async () => {
  const { data, error, response } = await admin.POST("/v1/webhook-endpoints", {
    body: { url: receiverUrl, events: ["grant.created", "refund.created"], description: "the TS client's test" },
  });
  assert.equal(response.status, 201, JSON.stringify(error));
  assert.ok(data?.secret, "the secret is shown once, on creation");
  assert.match(data.secret, /^whsec_/);
  secret = data.secret;
});

test("an admin creates an account and grants it credits", async () => {
  const account = await admin.POST("/v1/accounts", {
    body: { id: ACCOUNT, name: "Acme (TypeScript)", metadata: { crm: "hub-17" } },
  });
  assert.equal(account.response.status, 201, JSON.stringify(account.error));
  assert.equal(account.data?.id, ACCOUNT);
  assert.deepEqual(account.data?.metadata, { crm: "hub-17" });

  for (const amount of [1000.5, 0.125]) {
    const grant = await admin.POST("/v1/accounts/{id}/grants", {
      params: { path: { id: ACCOUNT } },
      body: { amount, source: "promo" },
    });
    assert.equal(grant.response.status, 201, JSON.stringify(grant.error));
    assert.equal(grant.data?.amount, amount);
    granted += millicredits(amount);
  }
  const balance = await admin.GET("/v1/accounts/{id}/balance", { params: { path: { id: ACCOUNT } } });
  assert.equal(millicredits(balance.data!.available), granted);
  assert.equal(balance.data!.available, 1000.625);
});

test("quote a usage, show its cost, hold the quote's max, capture the actual usage", async () => {
  const quote = await admin.POST("/v1/quotes", { body: { usage: estimate, account_id: ACCOUNT } });
  assert.equal(quote.response.status, 200, JSON.stringify(quote.error));
  const cost = quote.data!.cost;
  assert.ok(cost.min < cost.max, `an upper bound makes a range: ${JSON.stringify(cost)}`);
  assert.equal(quote.data!.account?.affordable, true);
  // What a product would show before the user commits.
  const shown = `This message costs ${cost.min} to ${cost.max} credits`;
  assert.match(shown, /^This message costs [0-9.]+ to [0-9.]+ credits$/);

  const hold = await admin.POST("/v1/accounts/{id}/holds", {
    params: { path: { id: ACCOUNT } },
    body: { usage: estimate, ttl_seconds: 600 },
  });
  assert.equal(hold.response.status, 201, JSON.stringify(hold.error));
  assert.equal(hold.data!.status, "pending");
  assert.equal(hold.data!.amount, cost.max);

  const exact = await admin.POST("/v1/quotes", { body: { usage: actual } });
  assert.equal(exact.data!.cost.min, exact.data!.cost.max);

  const capture = await admin.POST("/v1/holds/{id}/capture", {
    params: { path: { id: hold.data!.id } },
    body: { usage: actual },
  });
  assert.equal(capture.response.status, 200, JSON.stringify(capture.error));
  assert.equal(capture.data!.status, "captured");
  assert.equal(capture.data!.captured, exact.data!.cost.max);
  assert.equal(millicredits(capture.data!.released), millicredits(cost.max) - millicredits(capture.data!.captured));
  spent += millicredits(capture.data!.captured);
});

test("an exact quote is charged by its id alone, at the price shown", async () => {
  const quote = await admin.POST("/v1/quotes", { body: { usage: actual, account_id: ACCOUNT } });
  assert.equal(quote.response.status, 200, JSON.stringify(quote.error));
  assert.equal(quote.data!.exact, true);
  const charged = await admin.POST("/v1/accounts/{id}/charges", {
    params: { path: { id: ACCOUNT } },
    body: { quote_id: quote.data!.id },
  });
  assert.equal(charged.response.status, 201, JSON.stringify(charged.error));
  assert.equal(charged.data!.amount, quote.data!.cost.max);
  assert.equal(charged.data!.quote_id, quote.data!.id);
  spent += millicredits(charged.data!.amount);
});

test("a one-step charge with an Idempotency-Key, and its replay", async () => {
  const request = {
    params: { path: { id: ACCOUNT }, header: { "Idempotency-Key": `msg-${randomBytes(8).toString("hex")}` } },
    body: { amount: 2.375, product: "assistant", member: "ada" },
  };
  const first = await admin.POST("/v1/accounts/{id}/charges", request);
  assert.equal(first.response.status, 201, JSON.stringify(first.error));
  assert.equal(first.response.headers.get("Idempotent-Replayed"), null);
  assert.equal(first.data!.amount, 2.375);
  assert.equal(millicredits(first.data!.available_after), granted - spent - 2375n);

  const replay = await admin.POST("/v1/accounts/{id}/charges", request);
  assert.equal(replay.response.status, 201);
  assert.equal(replay.response.headers.get("Idempotent-Replayed"), "true");
  assert.deepEqual(replay.data, first.data);
  charge = first.data;
});

test("a refund of that charge gives its credits back", async () => {
  const refund = await admin.POST("/v1/charges/{id}/refunds", {
    params: { path: { id: charge!.id } },
    body: { reason: "the answer was cut off" },
  });
  assert.equal(refund.response.status, 201, JSON.stringify(refund.error));
  assert.equal(refund.data!.amount, 2.375);
  assert.equal(refund.data!.charge_id, charge!.id);
  const again = await admin.GET("/v1/charges/{id}", { params: { path: { id: charge!.id } } });
  assert.equal(again.data!.refunded, 2.375);
});

test("the entries add up to the balance, exactly", async () => {
  const entries = await admin.GET("/v1/accounts/{id}/entries", {
    params: { path: { id: ACCOUNT }, query: { limit: 1000 } },
  });
  assert.equal(entries.response.status, 200, JSON.stringify(entries.error));
  assert.equal(entries.data!.has_more, false);
  const types = entries.data!.data.map((entry) => entry.type).reverse();
  assert.deepEqual(types, ["grant", "grant", "hold", "capture", "release", "charge", "charge", "refund"]);
  const posted = entries.data!.data.reduce((sum, entry) => sum + millicredits(entry.amount), 0n);
  const held = entries.data!.data.reduce((sum, entry) => sum + millicredits(entry.held), 0n);

  const balance = await admin.GET("/v1/accounts/{id}/balance", { params: { path: { id: ACCOUNT } } });
  assert.equal(balance.response.status, 200);
  const { available } = balance.data!;
  assert.equal(millicredits(balance.data!.posted), posted);
  assert.equal(millicredits(balance.data!.held), held);
  assert.equal(millicredits(available), posted - held);
  // The refunded charge came back: what is left is the grants less the capture and the quote's charge.
  assert.equal(millicredits(available), granted - spent);
  assert.equal(available, credits(granted - spent));
  // Floats are not how to add credits: the same sum as numbers need not be exact.
  assert.notEqual(0.1 + 0.2, 0.3);
  assert.equal(millicredits(0.1) + millicredits(0.2), millicredits(0.3));
});

test("15 significant digits, the most an amount has, come back exactly", async () => {
  const big = await admin.POST("/v1/accounts", { body: { name: "Big (TypeScript)" } });
  assert.equal(big.response.status, 201, JSON.stringify(big.error));
  const id = big.data!.id;
  const grant = await admin.POST("/v1/accounts/{id}/grants", {
    params: { path: { id } },
    body: { amount: 123_456_789_012.125 },
  });
  assert.equal(grant.response.status, 201, JSON.stringify(grant.error));
  const charged = await admin.POST("/v1/accounts/{id}/charges", { params: { path: { id } }, body: { amount: 0.001 } });
  assert.equal(charged.response.status, 201, JSON.stringify(charged.error));
  assert.equal(millicredits(charged.data!.available_after), 123_456_789_012_124n);
  assert.equal(charged.data!.available_after, 123_456_789_012.124);
  const balance = await admin.GET("/v1/accounts/{id}/balance", { params: { path: { id } } });
  assert.equal(millicredits(balance.data!.available), 123_456_789_012_124n);
});

test("errors are typed problems: 402 insufficient_credits, 422 naming the field", async () => {
  const broke = await admin.POST("/v1/accounts/{id}/charges", {
    params: { path: { id: ACCOUNT } },
    body: { amount: 1_000_000 },
  });
  assert.equal(broke.response.status, 402);
  assert.equal(broke.data, undefined);
  const problem = broke.error as Schemas["InsufficientCreditsProblem"];
  assert.equal(problem.code, "insufficient_credits");
  assert.equal(millicredits(problem.available), granted - spent);
  assert.equal(problem.required, 1_000_000);
  assert.match(broke.response.headers.get("content-type") ?? "", /^application\/problem\+json/);

  const invalid = await admin.POST("/v1/accounts/{id}/holds", {
    params: { path: { id: ACCOUNT } },
    body: { amount: 5, ttl_seconds: 0 },
  });
  assert.equal(invalid.response.status, 422);
  const invalidRequest = invalid.error as Schemas["InvalidRequestProblem"];
  assert.equal(invalidRequest.code, "invalid_request");
  assert.equal(invalidRequest.param, "ttl_seconds");

  const tooPrecise = await admin.POST("/v1/accounts/{id}/charges", {
    params: { path: { id: ACCOUNT } },
    body: { amount: 1.2345 },
  });
  assert.equal(tooPrecise.response.status, 422);
  assert.equal(tooPrecise.error?.code, "invalid_amount");
});

test("an account key acts on its own account only", async () => {
  const key = await admin.POST("/v1/accounts/{id}/keys", { params: { path: { id: ACCOUNT } } });
  assert.equal(key.response.status, 201, JSON.stringify(key.error));
  const own = createTallyClient({ baseUrl: base, apiKey: key.data!.key! });
  const balance = await own.GET("/v1/accounts/{id}/balance", { params: { path: { id: ACCOUNT } } });
  assert.equal(balance.response.status, 200);
  assert.equal(millicredits(balance.data!.available), granted - spent);
  const listing = await own.GET("/v1/accounts");
  assert.equal(listing.response.status, 403);
  assert.equal(listing.error?.code, "forbidden");
  const nobody = createTallyClient({ baseUrl: base, apiKey: "tk_live_not_a_key" });
  const refused = await nobody.GET("/v1/accounts/{id}/balance", { params: { path: { id: ACCOUNT } } });
  assert.equal(refused.response.status, 401);
  assert.equal(refused.error?.code, "unauthorized");
});

test("a webhook delivery verifies with the stock standardwebhooks library", async () => {
  // Gate on the receiver having the refund's event, not on time.
  const delivery = await delivered((d) => d.body.includes('"refund.created"'));
  assert.equal(delivery.path, "/hooks");
  assert.equal(delivery.headers["content-type"], "application/json");
  const headers = {
    "webhook-id": String(delivery.headers["webhook-id"]),
    "webhook-timestamp": String(delivery.headers["webhook-timestamp"]),
    "webhook-signature": String(delivery.headers["webhook-signature"]),
  };
  // The event's type per `webhooks` in the document: `RefundCreatedEvent`.
  const payload = new Webhook(secret).verify(delivery.body, headers) as Schemas["RefundCreatedEvent"];
  assert.equal(payload.type, "refund.created");
  assert.equal(payload.id, headers["webhook-id"]);
  assert.equal(payload.account_id, ACCOUNT);
  assert.equal(payload.data.refund.charge_id, charge!.id);
  assert.equal(payload.data.refund.amount, 2.375);
  assert.equal(millicredits(payload.data.available), granted - spent);

  // The stored event is the same one, and a tampered body or another secret does not verify.
  const stored = await admin.GET("/v1/events/{id}", { params: { path: { id: payload.id } } });
  assert.equal(stored.response.status, 200, JSON.stringify(stored.error));
  assert.equal(stored.data!.type, "refund.created");
  assert.throws(() => new Webhook(secret).verify(delivery.body.replace("2.375", "2.376"), headers));
  const other = `whsec_${randomBytes(24).toString("base64")}`;
  assert.throws(() => new Webhook(other).verify(delivery.body, headers));
});
