// How results reach the terminal: an aligned table for people, JSON for scripts (`--output json`).
// Commands describe a result once; the chosen format decides how it is written.

export const OUTPUT_FORMATS = ['table', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Where the CLI writes; tests pass collecting writers, the binary passes process streams. */
export interface Writer {
  write(text: string): unknown;
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
}

/** A command's result: the data for JSON, and how to lay it out as a table. */
export interface Result<Row = Record<string, unknown>> {
  json: unknown;
  rows: readonly Row[];
  columns: readonly Column<Row>[];
  /** Printed instead of an empty table, e.g. `no devices`. */
  empty?: string;
}

/** JSON that survives ts-proto values: bigint as string, bytes as base64, Date as ISO 8601. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
        const data = (v as { data?: unknown }).data;
        if (Array.isArray(data)) return Buffer.from(data as number[]).toString('base64');
      }
      return v;
    },
    2,
  );
}

function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return toJson(value).replace(/\s+/g, ' ');
  return String(value);
}

/** Renders rows as left-aligned columns under upper-case headers (kubectl style). */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const grid = [
    columns.map((c) => c.header.toUpperCase()),
    ...rows.map((row) => columns.map((c) => cell(c.value(row)))),
  ];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => (line[i] ?? '').length)));
  return grid
    .map((line) =>
      line
        .map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

export function render<Row>(format: OutputFormat, result: Result<Row>): string {
  if (format === 'json') return `${toJson(result.json)}\n`;
  if (result.rows.length === 0 && result.empty) return `${result.empty}\n`;
  return `${renderTable(result.rows, result.columns)}\n`;
}
