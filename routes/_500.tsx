import { toHttpError } from "../server/errors.ts";
import { ErrorPage } from "../components/ErrorPage.tsx";
import { define } from "../utils.ts";

export default define.page(function ServerError({ error, state }) {
  const http = toHttpError(error);
  const status = http?.status ?? 500;
  const message = http && status < 500
    ? http.message
    : `Something went wrong on our side. Reference: ${state.requestId}`;
  return <ErrorPage status={status} title={status < 500 ? "Request failed" : "Server error"} message={message} />;
});
