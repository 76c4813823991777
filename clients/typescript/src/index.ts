// Tally's TypeScript client: openapi-fetch over the types openapi-typescript generates from
// docs/openapi.json (./schema.ts, never edited by hand: scripts/generate-clients writes it).
// This file is the only hand-written part: a client with a base URL and a key, and the
// conversion of credits to exact integer millicredits.
import createClient, { type Client, type ClientOptions } from "openapi-fetch";

import type { components, paths } from "./schema.js";

export type { components, operations, paths, webhooks } from "./schema.js";

/** Every schema of the API by name: `Schemas["Charge"]`, `Schemas["InsufficientCreditsProblem"]`. */
export type Schemas = components["schemas"];

/** A client of the whole API: `client.POST("/v1/accounts/{id}/charges", {...})`. */
export type TallyClient = Client<paths>;

export interface TallyClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /** Where Tally serves, without `/v1`: `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** An admin key, or an account key (its own account only). Sent as `Authorization: Bearer`. */
  apiKey: string;
}

/** A client that sends `Authorization: Bearer <apiKey>` with every request. */
export function createTallyClient(options: TallyClientOptions): TallyClient {
  const { baseUrl, apiKey, ...rest } = options;
  const client = createClient<paths>({ ...rest, baseUrl: baseUrl.replace(/\/+$/, "") });
  client.use({
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${apiKey}`);
      return request;
    },
  });
  return client;
}

/**
 * Credits as exact integer millicredits. Tally writes amounts as JSON numbers with at most 3
 * fraction digits and 15 significant digits, which a JavaScript number holds exactly as the
 * decimal it was written as (its shortest text is that decimal); adding such numbers as floats
 * is not exact (`0.1 + 0.2`), adding their millicredits as bigints is.
 */
export function millicredits(credits: number): bigint {
  if (!Number.isFinite(credits)) {
    throw new RangeError(`not an amount of credits: ${credits}`);
  }
  const match = /^(-?)(\d+)(?:\.(\d{1,3}))?$/.exec(exactText(credits));
  if (!match) {
    throw new RangeError(`not an amount of credits with at most 3 fraction digits: ${credits}`);
  }
  const [, sign, whole, fraction = ""] = match;
  const value = BigInt(whole!) * 1000n + BigInt(fraction.padEnd(3, "0"));
  return sign === "-" ? -value : value;
}

/** Millicredits back as the credits number Tally reads exactly. */
export function credits(millicredits: bigint): number {
  const sign = millicredits < 0n ? "-" : "";
  const magnitude = millicredits < 0n ? -millicredits : millicredits;
  const fraction = (magnitude % 1000n).toString().padStart(3, "0");
  return Number(`${sign}${magnitude / 1000n}.${fraction}`);
}

// A number's shortest decimal text. JavaScript writes it with an exponent only from 1e21 up
// or below 1e-6, neither of which is an amount of credits.
function exactText(value: number): string {
  const text = String(value);
  if (/e/i.test(text)) {
    throw new RangeError(`not an amount of credits with at most 3 fraction digits: ${text}`);
  }
  return text;
}
