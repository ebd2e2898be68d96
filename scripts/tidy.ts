// Mechanical checks of the rules in shared/STYLE.md that a script can see:
//   - the import graph of DESIGN.md (which core folder may import which; cli uses index.ts only)
//   - no Date.now / performance.now / Math.random / bare timers / console.log in core/ outside
//     core/common (time and randomness come through Clock and Prng)
//   - lines at most 100 columns, files under 800 lines, no fix-me markers left behind
//   - test names start with an area prefix ("area: sub-area: behaviour")
// Prints every finding as file:line: message and exits 1 if there is any.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";

const root = resolve(import.meta.dir, "..");

// Which core folders each core folder may import (DESIGN.md "Layout"). config holds limits and
// typed configs and imports only common, so every layer may read its bounds from it.
const allowedImports: Record<string, string[]> = {
  common: [],
  config: ["common"],
  protocol: ["common", "config"],
  remoting: ["protocol", "common", "config"],
  store: ["config", "common"],
  ha: ["store", "remoting", "protocol", "common", "config"],
  client: ["remoting", "protocol", "config", "common"],
  namesrv: ["ha", "remoting", "protocol", "config", "common"],
  broker: ["store", "ha", "remoting", "protocol", "client", "config", "common"],
};
const cliMayImport = ["broker", "namesrv", "client", "store", "config", "common"];

const bannedInCore: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, "Date.now: read time from the injected Clock"],
  [/\bperformance\.now\s*\(/, "performance.now: read time from the injected Clock"],
  [/\bMath\.random\s*\(/, "Math.random: use Prng with a seed"],
  [/(^|[^.\w])(setTimeout|setInterval)\s*\(/, "bare timer: use Clock.after / Clock.every"],
  [/\bconsole\.log\s*\(/, "console.log: use the logger (stderr) or cli output"],
];

// Spelled in two halves so this file does not trip its own check.
const fixMeMarker = new RegExp("\\b" + "FIX" + "ME\\b");
const lineColumnsMax = 100;
const fileLinesMax = 800;

const findings: string[] = [];
const report = (file: string, line: number, message: string) =>
  findings.push(`${relative(root, file)}:${line}: ${message}`);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (path.endsWith(".ts")) out.push(path);
  }
  return out;
}

function coreFolderOf(path: string): string | null {
  const rel = relative(join(root, "core"), path);
  if (rel.startsWith("..")) return null;
  return rel.split("/")[0] ?? null;
}

function checkImports(file: string, lines: string[]) {
  const fromCore = coreFolderOf(file);
  const fromCli = !relative(join(root, "cli"), file).startsWith("..");
  lines.forEach((line, i) => {
    const match = /^\s*(?:import|export)\b[^"']*["']([^"']+)["']/.exec(line);
    if (!match || !match[1]!.startsWith(".")) return;
    const target = resolve(dirname(file), match[1]!);
    const toCore = coreFolderOf(target);
    if (toCore === null) return;
    if (fromCore !== null && toCore !== fromCore) {
      const allowed = allowedImports[fromCore];
      if (!allowed) report(file, i + 1, `core/${fromCore} is not in the import graph`);
      else if (!allowed.includes(toCore)) {
        report(file, i + 1, `core/${fromCore} must not import core/${toCore}`);
      }
    }
    if (fromCli) {
      if (!cliMayImport.includes(toCore)) report(file, i + 1, `cli must not import core/${toCore}`);
      else if (!target.endsWith(`core/${toCore}/index.ts`)) {
        report(file, i + 1, `cli imports core/${toCore} through its index.ts only`);
      }
    }
  });
}

function checkFile(file: string) {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  const folder = coreFolderOf(file);
  const isTest = !relative(join(root, "test"), file).startsWith("..");
  if (lines.length > fileLinesMax)
    report(file, 1, `${lines.length} lines: split it (max ${fileLinesMax})`);
  lines.forEach((line, i) => {
    if (line.length > lineColumnsMax)
      report(file, i + 1, `${line.length} columns (max ${lineColumnsMax})`);
    if (fixMeMarker.test(line)) report(file, i + 1, "fix-me marker left behind");
    if (folder !== null && folder !== "common") {
      const code = line.replace(/\/\/.*$/, "");
      for (const [pattern, why] of bannedInCore) if (pattern.test(code)) report(file, i + 1, why);
    }
    if (isTest) {
      const name = /\b(?:test|it)(?:\.\w+)?(?:\([^)]*\))?\(\s*["'`]([^"'`]*)/.exec(line);
      if (name && !/^[a-z][a-z0-9 -]*: /.test(name[1]!)) {
        report(file, i + 1, `test name "${name[1]}" lacks an "area: " prefix`);
      }
    }
  });
  checkImports(file, lines);
}

for (const dir of ["core", "cli", "scripts", "test"]) {
  for (const file of walk(join(root, dir))) checkFile(file);
}

if (findings.length > 0) {
  for (const finding of findings) console.error(finding);
  console.error(`tidy: ${findings.length} finding(s)`);
  process.exit(1);
}
console.log("tidy: clean");
