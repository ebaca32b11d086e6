// Human output: aligned tables, colours (TTY only, never with NO_COLOR), one-line messages.

/** Colour only when writing to a terminal and NO_COLOR (https://no-color.org) is not set. */
export function useColour(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;

export function paint(text: string, style: Style | undefined, colour: boolean): string {
  return colour && style ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

export const STATUS_STYLE: Record<string, Style> = { Healthy: 'green', Suspected: 'yellow', Unhealthy: 'red' };

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export interface Cell {
  text: string;
  style?: Style;
}

/**
 * Lays out rows under headers, two spaces between columns; widths come from the plain text, colour is added
 * after padding so it never shifts a column. The last column is not padded (no trailing blanks).
 */
export function table(columns: Column[], rows: (string | Cell)[][], colour: boolean): string {
  const cells = rows.map((row) => row.map((c) => (typeof c === 'string' ? { text: c } : c)));
  const widths = columns.map((col, i) => Math.max(col.header.length, ...cells.map((r) => r[i]?.text.length ?? 0)));
  const line = (row: Cell[]) =>
    row
      .map((cell, i) => {
        const last = i === row.length - 1;
        const width = widths[i] ?? 0;
        const padded =
          columns[i]?.align === 'right' ? cell.text.padStart(width) : last ? cell.text : cell.text.padEnd(width);
        return paint(padded, cell.style, colour);
      })
      .join('  ');
  return [line(columns.map((c) => ({ text: c.header }))), ...cells.map(line)].join('\n');
}

/** Keeps a message on one table row: control characters are shown escaped, as in JSON. */
export function oneLine(msg: string): string {
  // eslint-disable-next-line no-control-regex
  return msg.replace(/[\u0000-\u001f\u007f]/g, (ch) => JSON.stringify(ch).slice(1, -1));
}

/** "0.4s ago", "12s ago", "3m ago", "2h ago", "5d ago". */
export function age(iso: string, now: number = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '?';
  if (ms < 0) return 'just now';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s ago`;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h ago`;
  return `${Math.floor(ms / 86_400_000)}d ago`;
}
