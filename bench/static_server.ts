/** The baseline for SSR benches: the same Deno server API returning the same bytes from memory. */
const file = Deno.args[0];
const body = await Deno.readFile(file);
const headers = { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" };
Deno.serve({ port: Number(Deno.env.get("PORT")), hostname: "127.0.0.1", onListen() {} }, (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/health/ready") return new Response("ok");
  return new Response(body, { headers });
});
