// Terminal output: colour only on a TTY and never with NO_COLOR; errors are one line on stderr.

import kleur from "kleur";

const colour = process.stderr.isTTY === true && !process.env.NO_COLOR;
kleur.enabled = colour;

export function printError(message: string): void {
  process.stderr.write(`${kleur.red("error:")} ${message}\n`);
}

export function printWarning(message: string): void {
  process.stderr.write(`${kleur.yellow("warning:")} ${message}\n`);
}

// A reader that goes away (`rmq inspect commitlog ... | head`) makes a later write fail with
// EPIPE on the stream, not in the write call: end quietly there too, as Unix tools do.
process.stdout.on("error", (error: { code?: string; message?: string }) => {
  if (error.code === "EPIPE") process.exit(0);
  printError(`cannot write the output: ${error.message ?? error.code}`);
  process.exit(1);
});

/** Writes one line to stdout; a closed pipe (`rmq ... | head`) ends the process quietly. */
export function printLine(line: string): void {
  try {
    process.stdout.write(line + "\n");
  } catch (error) {
    if ((error as { code?: string }).code === "EPIPE") process.exit(0);
    throw error;
  }
}

/** Left-aligned columns separated by two spaces; the header row is dimmed on a TTY. */
export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = rows.map((row) => row.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (row: string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
  printLine(tty ? kleur.dim(line(headers)) : line(headers));
  for (const row of cells) printLine(line(row));
}

/** One JSON object per line, for scripts (`--json`). */
export function printJson(value: unknown): void {
  printLine(JSON.stringify(value));
}

/** A progress note on stderr, only on a TTY, overwritten in place. */
export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${message}\x1b[K`);
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A body for a JSON line: its text when it is UTF-8, else base64, and which one it is. */
export function bodyForJson(bytes: Uint8Array): { bodyEncoding: "utf-8" | "base64"; body: string } {
  try {
    return { bodyEncoding: "utf-8", body: strictUtf8.decode(bytes) };
  } catch {
    return { bodyEncoding: "base64", body: Buffer.from(bytes).toString("base64") };
  }
}
