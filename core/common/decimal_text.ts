// Integers as decimal text, made outside JavaScriptCore's number-to-string cache. String(n)
// keeps its result in a VM-wide cache (why String(3) allocates nothing); an offset or a
// timestamp is a new number each time, so each string stayed cached past the next eden
// collection, was promoted to the old generation, and was freed only by a full one. A broker
// made two or three of these per message (offsets in pull and send answers).

const scratch = Buffer.alloc(24); // "-9007199254740991" is 17 characters

/** String(value) for a safe integer, not kept in the cache; any other number as String does. */
export function decimalText(value: number): string {
  // Single digits are the VM's permanent one-character strings: nothing to gain.
  if (!Number.isSafeInteger(value) || (value >= 0 && value < 10)) return String(value);
  let rest = Math.abs(value);
  let at = scratch.length;
  do {
    scratch[--at] = 48 + (rest % 10); // "0" + digit
    rest = Math.floor(rest / 10);
  } while (rest > 0);
  if (value < 0) scratch[--at] = 45; // "-"
  return scratch.toString("latin1", at, scratch.length);
}
