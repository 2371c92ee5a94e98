import { HttpError } from "fresh";
import { ErrorPage } from "../components/ErrorPage.tsx";
import { define } from "../utils.ts";

export default define.page(function ServerError({ error, state }) {
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof HttpError && status < 500
    ? error.message
    : `Something went wrong on our side. Reference: ${state.requestId}`;
  return <ErrorPage status={status} title={status < 500 ? "Request failed" : "Server error"} message={message} />;
});
