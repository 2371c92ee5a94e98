import { ErrorPage } from "../components/ErrorPage.tsx";
import { define } from "../utils.ts";

export default define.page(function NotFound({ url }) {
  return <ErrorPage status={404} title="Page not found" message={`Nothing lives at ${url.pathname}.`} />;
});
