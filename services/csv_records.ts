/**
 * CSV records streamed out of bytes (a request body, a file), one at a time with the line they end on:
 * csv-parse over a web stream. Only one record is held at a time, so a 50 MB file costs no more memory than
 * a small one.
 */
import { Buffer } from "node:buffer";
import { parse } from "csv-parse/stream";

export type CsvSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string> | Iterable<string> | string;

function toByteStream(source: CsvSource): ReadableStream<Uint8Array | string> {
  if (typeof source === "string") return ReadableStream.from([source]);
  if (source instanceof ReadableStream) return source;
  return ReadableStream.from(source as AsyncIterable<Uint8Array | string>);
}

/**
 * `lines`: the line (1-based) the record ends on, as an editor shows it. `relaxColumnCount`: a record with
 * another number of fields than the header is passed on (for the caller to report) instead of failing the parse.
 */
export function csvRecords(
  source: CsvSource,
  opts: { relaxColumnCount?: boolean } = {},
): ReadableStream<{ record: string[]; info: { lines: number } }> {
  // csv-parse works on Node Buffers; Deno hands out Uint8Arrays (and callers may pass strings).
  const buffers = toByteStream(source).pipeThrough(
    new TransformStream<Uint8Array | string, Buffer>({
      transform(chunk, controller) {
        controller.enqueue(
          typeof chunk === "string"
            ? Buffer.from(chunk, "utf8")
            : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        );
      },
    }),
  );
  return buffers.pipeThrough(
    parse({
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: opts.relaxColumnCount ?? false,
    }) as unknown as TransformStream<Buffer, { record: string[]; info: { lines: number } }>,
  );
}
