/**
 * Set-up for the browser tests against a spawned app: an account registered through the API, the JSON
 * calls that prepare its data, the site and asset the bidding pages bid for, and signing in on the login
 * form as a person does.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";

export const PASSWORD = "granite-Otter-meadow-47!";

/** Registers a new organization and its admin (password PASSWORD); asserts 201 and returns the token pair. */
export async function register(
  baseUrl: string,
  user: { email: string; name: string; organization_name: string },
) {
  const reg = await fetch(`${baseUrl}/api/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...user, password: PASSWORD }),
  });
  const text = await reg.text();
  assert.equal(reg.status, 201, text);
  return JSON.parse(text) as { access_token: string; refresh_token: string; expires_in: number };
}

/** JSON calls to the API, each of which must succeed; `accessToken` is asked for before every call. */
export function jsonApi(baseUrl: string, accessToken: () => string | Promise<string>) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${await accessToken()}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** The PJM site "Ridge" and its 80 MW "Ridge Solar" asset; returns the asset. */
export async function ridgeSolar(api: ReturnType<typeof jsonApi>) {
  const site = await api("POST", "/api/sites", {
    name: "Ridge",
    zone: "PJM",
    node: "WESTERN HUB",
    latitude: 39.9,
    longitude: -77.1,
  });
  return await api("POST", "/api/assets", { site_id: site.id, name: "Ridge Solar", kind: "solar", capacity_mw: 80 });
}

/** Fills in the login form shown on `page` and waits to land on `landing`. */
export async function signIn(page: Page, email: string, landing: string) {
  await page.fill("#f-email", email);
  await page.fill("#f-password", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForURL(landing);
}
