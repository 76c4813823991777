// The README's quick start, type-checked by `tsc` with the tests (scripts/check-clients).
import { createTallyClient, millicredits, type Schemas } from "../src/index.js";

export async function quickstart(baseUrl = "http://127.0.0.1:8080"): Promise<bigint> {
  const tally = createTallyClient({ baseUrl, apiKey: process.env.TALLY_KEY ?? "" });

  // Before the user commits: what it may cost
  const estimate = { product: "assistant", action: "chat", model: "gpt-4o", input_tokens: 1200, max_output_tokens: 4096 } as const;
  const { data: quote } = await tally.POST("/v1/quotes", { body: { usage: estimate, account_id: "acme" } });
  console.log(`costs ${quote!.cost.min} to ${quote!.cost.max} credits`);

  // Hold the most it can cost, then capture what it did cost (the rest goes back at once)
  const { data: hold } = await tally.POST("/v1/accounts/{id}/holds", {
    params: { path: { id: "acme" } },
    body: { usage: estimate },
  });
  const actual = { product: "assistant", action: "chat", model: "gpt-4o", input_tokens: 1200, output_tokens: 350 } as const;
  await tally.POST("/v1/holds/{id}/capture", { params: { path: { id: hold!.id } }, body: { usage: actual } });

  // A one-step charge, safe to retry with the same Idempotency-Key
  const { error, response } = await tally.POST("/v1/accounts/{id}/charges", {
    params: { path: { id: "acme" }, header: { "Idempotency-Key": "msg-8841" } },
    body: { amount: 3, product: "assistant", member: "ada" },
  });
  if (response.status === 402) {
    const problem = error as Schemas["InsufficientCreditsProblem"];
    console.log(`${problem.available} available, ${problem.required} required`);
  }
  console.log(response.headers.get("Idempotent-Replayed")); // "true" on a retry's answer

  const { data: balance } = await tally.GET("/v1/accounts/{id}/balance", { params: { path: { id: "acme" } } });
  return millicredits(balance!.available); // exact, as a bigint
}
