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

/** Writes one line to stdout; a closed pipe (`rmq ... | head`) ends the process quietly. */
export function printLine(line: string): void {
  try {
    process.stdout.write(line + "\n");
  } catch (error) {
    if ((error as { code?: string }).code === "EPIPE") process.exit(0);
    throw error;
  }
}
