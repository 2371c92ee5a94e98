/**
 * A page's text as a browser reads it. Pages are sent in ASCII, every other character written as a character
 * reference (framework/render.ts `asciiHtml`); tests that look for "¢/kWh" or "·" in a page's HTML read it
 * through this. Only references to characters beyond ASCII are read back: an escaped `&lt;` stays escaped.
 */
export function readable(html: string): string {
  return html.replace(/&#x([0-9a-f]+);/g, (ref, hex: string) => {
    const cp = parseInt(hex, 16);
    return cp >= 0x80 ? String.fromCodePoint(cp) : ref;
  });
}

/** A response's body as `readable` text when it is HTML (as it is), else unchanged. */
export async function readableResponse(res: Response): Promise<Response> {
  if (!(res.headers.get("content-type") ?? "").startsWith("text/html") || res.body === null) return res;
  const text = readable(await res.text());
  return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
}
