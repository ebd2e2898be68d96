// Flags in message properties and header fields as RocketMQ's Java side reads them:
// Boolean.parseBoolean, true for "true" in any case and false for anything else. A client may
// write "True"; one that writes "yes" means false to RocketMQ, and so to rmq.

/** Boolean.parseBoolean; undefined (an absent property) is false. */
export function javaBoolean(text: string | undefined): boolean {
  if (text === "true") return true; // the common spelling, with no new string
  return text !== undefined && text.length === 4 && text.toLowerCase() === "true";
}

/** The WAIT property (Message#isWaitStoreMsgOK): absent means wait. */
export function waitStoreMsgOk(text: string | undefined): boolean {
  return text === undefined || javaBoolean(text);
}
