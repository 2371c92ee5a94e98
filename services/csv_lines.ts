/**
 * A CSV reader for large uploads: text goes in as it arrives, records come out synchronously with the line
 * they end on. It reads what csvRecords (csv-parse) reads with `bom`, `trim` and `skip_empty_lines` and
 * refuses the same malformed quoting, but a line without a quote is split with indexOf instead of a
 * character-by-character state machine, and no promise or object is made per record: csv-parse over a web
 * stream took longer than the database to store the rows of a 200,000-line statement.
 *
 * Records end at `\n` or `\r\n` (a lone `\r` is not a line break). Quoted fields follow RFC 4180: `""` is a
 * quote, and they may span lines. No I/O.
 */

/** Malformed CSV; `code` and `lines` as csv-parse's errors have them (`lines`: the line it stopped at). */
export class CsvError extends Error {
  constructor(readonly code: string, message: string, readonly lines: number) {
    super(message);
    this.name = "CsvError";
  }
}

/** Called with each record's fields and the (1-based) line it ends on. */
export type OnRecord = (fields: string[], line: number) => void;

const QUOTE = 34, COMMA = 44, CR = 13, LF = 10;

/** A line of spaces only (csv-parse's trim makes it an empty line); one that starts otherwise is not. */
const isBlank = (s: string) => s.length === 0 || (s.charCodeAt(0) <= 32 && s.trim().length === 0);

/** trim() where it may change something: most fields have no space at either end. */
function trimmed(f: string): string {
  const n = f.length;
  if (n === 0) return f;
  const a = f.charCodeAt(0), z = f.charCodeAt(n - 1);
  return a <= 32 || z <= 32 || a >= 127 || z >= 127 ? f.trim() : f;
}

export class CsvLines {
  #carry = "";
  #line = 0;
  #started = false;

  /** Reads the complete records of `text` (with what is left of the previous chunks); keeps the rest. */
  push(text: string, onRecord: OnRecord): void {
    if (!this.#started && text.length) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const buf = this.#carry ? this.#carry + text : text;
    this.#carry = buf.slice(this.#read(buf, onRecord, false));
  }

  /** Reads what is left after the last chunk (a last record without a line break). */
  end(onRecord: OnRecord): void {
    const rest = this.#carry;
    this.#carry = "";
    if (rest) this.#read(rest, onRecord, true);
  }

  /** Reads records from buf; returns where the unread part starts. */
  #read(buf: string, onRecord: OnRecord, last: boolean): number {
    let pos = 0;
    const n = buf.length;
    // Where the next quote is, found once per quote rather than once per line.
    let quote = buf.indexOf('"');
    while (pos < n) {
      let nl = buf.indexOf("\n", pos);
      if (nl < 0) {
        if (!last) return pos;
        nl = n;
      }
      if (quote >= 0 && quote < pos) quote = buf.indexOf('"', pos);
      if (quote >= 0 && quote < nl) {
        const next = this.#quoted(buf, pos, onRecord, last);
        if (next < 0) return pos;
        pos = next;
        continue;
      }
      const end = nl > pos && buf.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
      const line = buf.slice(pos, end);
      this.#line++;
      pos = nl + 1;
      if (isBlank(line)) continue;
      const fields = line.split(",");
      for (let i = 0; i < fields.length; i++) fields[i] = trimmed(fields[i]);
      onRecord(fields, this.#line);
    }
    return n;
  }

  /**
   * One record with quotes starting at `start`: the position after it, or -1 when it does not end in `buf`
   * yet (more text is needed).
   */
  #quoted(buf: string, start: number, onRecord: OnRecord, last: boolean): number {
    const n = buf.length;
    const fields: string[] = [];
    let lines = 0;
    let i = start;
    for (;;) {
      // One field, from i.
      while (i < n && (buf[i] === " " || buf[i] === "\t")) i++;
      if (i < n && buf.charCodeAt(i) === QUOTE) {
        let value = "";
        let from = ++i;
        for (;;) {
          const q = buf.indexOf('"', i);
          if (q < 0) {
            if (!last) return -1;
            throw new CsvError(
              "CSV_QUOTE_NOT_CLOSED",
              `Quote Not Closed: the parsing is finished with an opening quote at line ${
                this.#line + countLf(buf, start, n) + 1
              }`,
              this.#line + countLf(buf, start, n) + 1,
            );
          }
          if (q + 1 < n && buf.charCodeAt(q + 1) === QUOTE) {
            value += buf.slice(from, q + 1);
            i = from = q + 2;
            continue;
          }
          if (q + 1 >= n && !last) return -1;
          value += buf.slice(from, q);
          i = q + 1;
          break;
        }
        lines += countLf(value, 0, value.length);
        while (i < n && (buf[i] === " " || buf[i] === "\t")) i++;
        const c = i < n ? buf.charCodeAt(i) : -1;
        if (c !== COMMA && c !== LF && c !== CR && c !== -1) {
          throw new CsvError(
            "CSV_INVALID_CLOSING_QUOTE",
            `Invalid Closing Quote: got "${buf[i]}" at line ${this.#line + lines + 1} instead of delimiter, ` +
              `record delimiter, trimable character (if activated) or comment`,
            this.#line + lines + 1,
          );
        }
        fields.push(value);
      } else {
        let j = i;
        while (j < n) {
          const c = buf.charCodeAt(j);
          if (c === COMMA || c === LF) break;
          if (c === QUOTE) {
            throw new CsvError(
              "CSV_INVALID_OPENING_QUOTE",
              `Invalid Opening Quote: a quote is found on field ${fields.length} at line ${this.#line + lines + 1}, ` +
                `value is ${JSON.stringify(buf.slice(i, j))}`,
              this.#line + lines + 1,
            );
          }
          j++;
        }
        if (j >= n && !last) return -1;
        fields.push(trimmed(buf.slice(i, j)));
        i = j;
      }
      // After a field: a comma, the end of the record (LF or CRLF), or the end of the text.
      if (i < n && buf.charCodeAt(i) === COMMA) {
        i++;
        continue;
      }
      if (i < n && buf.charCodeAt(i) === CR) i++;
      if (i < n && buf.charCodeAt(i) === LF) i++;
      else if (i < n) {
        throw new CsvError(
          "CSV_INVALID_CLOSING_QUOTE",
          `Invalid Closing Quote: a carriage return without a line feed at line ${this.#line + lines + 1}`,
          this.#line + lines + 1,
        );
      } else if (!last) return -1;
      break;
    }
    this.#line += lines + 1;
    onRecord(fields, this.#line);
    return i;
  }
}

function countLf(s: string, from: number, to: number): number {
  let k = 0;
  for (let i = s.indexOf("\n", from); i >= 0 && i < to; i = s.indexOf("\n", i + 1)) k++;
  return k;
}

const TEXT_PIECE = 1 << 20;

/** Text chunks of a byte stream (UTF-8, a character split across chunks kept whole), or of strings. */
export async function* textChunks(
  source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string> | Iterable<string> | string,
): AsyncGenerator<string> {
  if (typeof source === "string") {
    // In pieces, so a reader holds a piece's records at a time, not the whole text's.
    for (let i = 0; i < source.length; i += TEXT_PIECE) yield source.slice(i, i + TEXT_PIECE);
    return;
  }
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    if (typeof chunk === "string") yield chunk;
    else if (chunk.length) yield decoder.decode(chunk, { stream: true });
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}
