export function ErrorPage({ status, title, message }: { status: number; title: string; message: string }) {
  return (
    <section class="mx-auto max-w-lg py-16 text-center">
      <p class="text-sm font-semibold text-brand-600">{status}</p>
      <h1 class="mt-2 text-3xl font-bold tracking-tight">{title}</h1>
      <p class="mt-4 text-slate-600">{message}</p>
      <a
        href="/"
        class="mt-8 inline-block rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700"
      >
        Back to the dashboard
      </a>
    </section>
  );
}
