// The properties a producer sends: the direct path for plain sends and the map path for the
// rest give the Java client's order and values.

import { describe, expect, test } from "bun:test";
import { sendProperties } from "../../../core/client/send_properties.ts";

const id = "7F0000010001";
const shown = (text: string) => text.replaceAll("\u0001", "=").replaceAll("\u0002", ";");

describe("client: send properties", () => {
  test("client: send properties: plain sends, with and without keys and tags", () => {
    const body = new Uint8Array(0);
    const cases: [Parameters<typeof sendProperties>[0], string][] = [
      [{ topic: "T", body }, `UNIQ_KEY=${id};WAIT=true;`],
      [{ topic: "T", body, tags: "A" }, `UNIQ_KEY=${id};WAIT=true;TAGS=A;`],
      [
        { topic: "T", body, tags: "A", keys: ["k1", "k2"] },
        `KEYS=k1 k2;UNIQ_KEY=${id};WAIT=true;TAGS=A;`,
      ],
      [{ topic: "T", body, tags: "", keys: [], properties: {} }, `UNIQ_KEY=${id};WAIT=true;`],
    ];
    for (const [message, want] of cases) expect(shown(sendProperties(message, id, "G"))).toBe(want);
  });

  test("client: send properties: caller names keep their place; markers follow", () => {
    const body = new Uint8Array(0);
    expect(
      shown(
        sendProperties({ topic: "T", body, tags: "A", properties: { a: "1", TAGS: "x" } }, id, "G"),
      ),
    ).toBe(`a=1;TAGS=A;UNIQ_KEY=${id};WAIT=true;`);
    expect(shown(sendProperties({ topic: "T", body, delayLevel: 3 }, id, "G"))).toBe(
      `UNIQ_KEY=${id};WAIT=true;DELAY=3;`,
    );
    expect(shown(sendProperties({ topic: "T", body, delayLevel: 0 }, id, "G"))).toBe(
      `UNIQ_KEY=${id};WAIT=true;`,
    );
    expect(shown(sendProperties({ topic: "T", body, transactional: true }, id, "G"))).toBe(
      `UNIQ_KEY=${id};WAIT=true;TRAN_MSG=true;PGROUP=G;`,
    );
    expect(shown(sendProperties({ topic: "T", body, deliverAtMs: 5 }, id, "G"))).toBe(
      `UNIQ_KEY=${id};WAIT=true;TIMER_DELIVER_MS=5;`,
    );
  });
});
