/**
 * A delimited-text parser for the benchmark's files: RFC 4180 CSV (the upstream review files
 * quote their free-text fields, which hold commas, doubled quotes and line breaks) and the
 * plain tab-separated ratings file. Pure: text in, rows out.
 */
import { InvalidInputError } from '../../lib/errors';

export interface DelimitedOptions {
  /** Field separator; default `,`. */
  delimiter?: string;
  /** Name of the source for error messages (a file name). */
  source?: string;
}

/**
 * Splits delimited text into rows of fields. A field that starts with `"` is quoted: it runs to
 * the next lone `"`, and holds delimiters, CR/LF line breaks and `""` (one quote) as text. Rows
 * end at LF, CRLF or CR outside quotes; a byte-order mark is dropped, and so is one trailing
 * line break (not an empty last row). An unterminated quote is an error, because everything
 * after it would silently become one field.
 */
export function parseDelimited(text: string, options: DelimitedOptions = {}): string[][] {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r')
    throw new InvalidInputError(`bad delimiter ${JSON.stringify(delimiter)}`);
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let line = 1;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = '';
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' && field === '') {
      // A quoted field: copy the runs between quotes; `""` is one quote, a lone `"` closes it.
      const startLine = line;
      i++;
      for (;;) {
        const q = src.indexOf('"', i);
        if (q < 0)
          throw new InvalidInputError(
            `${options.source ?? 'input'}: a quoted field opened on line ${startLine} is never closed`,
          );
        const run = src.slice(i, q);
        for (let k = run.indexOf('\n'); k >= 0; k = run.indexOf('\n', k + 1)) line++;
        field += run;
        if (src[q + 1] === '"') {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Text after the closing quote (`"a"b`) is kept, as lenient parsers do.
      continue;
    }
    if (c === delimiter) {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      endRow();
      i += c === '\r' && src[i + 1] === '\n' ? 2 : 1;
      line++;
    } else {
      // An unquoted run, up to the next delimiter or line break.
      let j = i + 1;
      while (j < src.length && src[j] !== delimiter && src[j] !== '\n' && src[j] !== '\r') j++;
      field += src.slice(i, j);
      i = j;
    }
  }
  // The last row, unless the text ended with a line break.
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** A delimited file read as records keyed by its header row. */
export interface DelimitedTable {
  header: string[];
  records: Record<string, string>[];
}

/**
 * Parses delimited text whose first row names the columns. Blank lines are skipped; a row
 * with a different number of fields than the header is an error that names its row, because a
 * shifted row would put a review's text into its score column.
 */
export function parseTable(text: string, options: DelimitedOptions = {}): DelimitedTable {
  const rows = parseDelimited(text, options).filter((r) => !(r.length === 1 && r[0] === ''));
  const [header, ...body] = rows;
  if (!header) throw new InvalidInputError(`${options.source ?? 'input'} is empty`);
  const records = body.map((r, n) => {
    if (r.length !== header.length)
      throw new InvalidInputError(
        `${options.source ?? 'input'}: record ${n + 1} has ${r.length} fields, the header has ${header.length}`,
      );
    return Object.fromEntries(header.map((h, k) => [h, r[k]!]));
  });
  return { header, records };
}
