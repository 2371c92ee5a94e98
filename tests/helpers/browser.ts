/** Headless Debian Chromium driven by playwright-core (no browser download). */
import { type Browser, chromium } from "playwright-core";
import { testServices } from "./services.ts";

export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: testServices.chromium ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}
