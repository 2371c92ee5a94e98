/**
 * CsvLines reads what csvRecords (csv-parse with bom, trim, skip_empty_lines) reads: the same records on the
 * same lines, however the text is cut into chunks, and the same malformed quoting refused at the same line.
 */
import assert from "node:assert/strict";
import { csvRecords } from "../../services/csv_records.ts";
import { CsvError, CsvLines, textChunks } from "../../services/csv_lines.ts";

type Rec = [string[], number];

async function reference(text: string): Promise<Rec[] | { code: string; lines: number }> {
  const out: Rec[] = [];
  try {
    for await (const { record, info } of csvRecords(text, { relaxColumnCount: true })) out.push([record, info.lines]);
  } catch (e) {
    // csv-parse names most codes CSV_…, but not INVALID_OPENING_QUOTE; CsvLines names them all CSV_….
    const err = e as { code: string; lines: number };
    return { code: err.code.startsWith("CSV_") ? err.code : `CSV_${err.code}`, lines: err.lines };
  }
  return out;
}

function fast(chunks: string[]): Rec[] | { code: string; lines: number } {
  const out: Rec[] = [];
  const csv = new CsvLines();
  const on = (f: string[], line: number) => out.push([f, line]);
  try {
    for (const c of chunks) csv.push(c, on);
    csv.end(on);
  } catch (e) {
    assert.ok(e instanceof CsvError);
    return { code: e.code, lines: e.lines };
  }
  return out;
}

const CASES: Record<string, string> = {
  plain: "a,b,c\n1,2,3\n4,5,6\n",
  "no final line break": "a,b\n1,2",
  crlf: "a,b\r\n1,2\r\n3,4\r\n",
  bom: "\ufeffa,b\n1,2\n",
  "blank lines and spaces": "a, b ,c\n\n  \n 1 ,2,  3\n\n",
  "fewer and more fields": "a,b,c\n1,2\n1,2,3,4\n",
  quoted: 'a,b\n"x, y","he said ""hi"""\n  "z"  ,w\n',
  "quoted line breaks": 'a,b\n"one\ntwo",3\nfour,5\n"x\ny\n",z',
  "empty quoted": 'a,b\n"",""\n',
  "unclosed quote": 'a,b\n1,2\n3,4\n5,"W',
  "stray quote": 'a,b\n1,2\n3,x"y\n',
  "text after a closing quote": 'a,b\n1,2\n"x"y,3\n',
  "control characters": "a,b\nWEST\x01,2\n",
  utf8: "a,b\nZÜRICH ÖST,2\n日本,3\n",
};

for (const [name, text] of Object.entries(CASES)) {
  Deno.test(`CsvLines reads "${name}" as csv-parse does, in any chunking`, async () => {
    const want = await reference(text);
    assert.deepEqual(fast([text]), want, "one chunk");
    for (let cut = 0; cut <= text.length; cut++) {
      assert.deepEqual(fast([text.slice(0, cut), text.slice(cut)]), want, `cut at ${cut}`);
    }
    assert.deepEqual(fast([...text]), want, "one character at a time");
  });
}

Deno.test("a CRLF inside a quoted field is one line, as an editor counts it", () => {
  assert.deepEqual(fast(['a,b\r\n"x\r\ny",z\r\nq,r']), [[["a", "b"], 1], [["x\r\ny", "z"], 3], [["q", "r"], 4]]);
});

Deno.test("textChunks keeps a UTF-8 character split across byte chunks whole", async () => {
  const bytes = new TextEncoder().encode("ZÜRICH,日本\n");
  const parts = [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)];
  let text = "";
  for await (const t of textChunks(ReadableStream.from(parts))) text += t;
  assert.equal(text, "ZÜRICH,日本\n");
});
