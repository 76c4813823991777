// The top-level README's "From your backend" example, type-checked by `tsc` with the tests.
import { createTallyClient } from "../src/index.js";

export async function charge(baseUrl = "http://127.0.0.1:8080"): Promise<void> {
  const tally = createTallyClient({ baseUrl, apiKey: process.env.TALLY_KEY! });
  const { data, error, response } = await tally.POST("/v1/accounts/{id}/charges", {
    params: { path: { id: "acme" }, header: { "Idempotency-Key": "msg-8841" } },
    body: { amount: 3, product: "assistant", member: "ada" },
  });
  if (error) console.log(response.status, error.code); // e.g. 402 insufficient_credits
  else console.log(`${data.amount} credits charged, ${data.available_after} left`);
}
