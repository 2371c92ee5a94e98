import { toHttpError } from "../server/errors.ts";
import { ErrorPage } from "../components/ErrorPage.tsx";
import { define } from "../utils.ts";

export default define.page(function ServerError({ error, state }) {
  const http = toHttpError(error);
  const status = http?.status ?? 500;
  const reference = `Reference: ${state.requestId}`;
  // A 503 is an outage the reader can act on (its message says when to try again); any other 5xx is a fault of ours.
  const message = http && status < 500
    ? http.message
    : http && status === 503
    ? `${http.message}. ${reference}`
    : `Something went wrong on our side. ${reference}`;
  const title = status < 500 ? "Request failed" : status === 503 ? "Temporarily unavailable" : "Server error";
  return <ErrorPage status={status} title={title} message={message} />;
});
