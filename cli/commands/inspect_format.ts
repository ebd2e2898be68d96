// How `rmq inspect` shows a stored record: a one-line summary for people, a full object for
// --json (body as base64 so binary bodies survive).

import {
  createOffsetMessageId,
  formatHost,
  MessageConst,
  parseMessageProperties,
  type StoredRecordView,
} from "./inspect_types.ts";

const previewChars = 40;

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

function bodyPreview(body: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(
    body.subarray(0, previewChars * 4),
  );
  const printable = /^[\P{Cc}\n\t]*$/u.test(text);
  if (!printable) return `<${body.length} bytes binary>`;
  const flat = text.replace(/\s+/g, " ");
  return flat.length > previewChars ? `${flat.slice(0, previewChars)}…` : flat;
}

export function recordSummary(r: StoredRecordView): string {
  const props = parseMessageProperties(r.properties);
  const tags = props.get(MessageConst.PROPERTY_TAGS);
  const keys = props.get(MessageConst.PROPERTY_KEYS);
  const parts = [
    `@${r.position}`,
    `${r.topic}/${r.queueId}#${r.queueOffset}`,
    `size=${r.totalSize}`,
    tags ? `tags=${tags}` : "",
    keys ? `keys=${JSON.stringify(keys)}` : "",
    `stored=${isoTime(r.storeTimestamp)}`,
    (r.sysFlag & 1) !== 0 ? "compressed" : "",
    `body=${JSON.stringify(bodyPreview(r.body))}`,
  ];
  return parts.filter(Boolean).join(" ");
}

export function recordJson(r: StoredRecordView, withBody: boolean): Record<string, unknown> {
  const props = parseMessageProperties(r.properties);
  return {
    physicalOffset: r.position,
    totalSize: r.totalSize,
    magicVersion: r.magicVersion,
    msgId: createOffsetMessageId(r.storeHost, r.position),
    uniqKey: props.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? null,
    topic: r.topic,
    queueId: r.queueId,
    queueOffset: r.queueOffset,
    tags: props.get(MessageConst.PROPERTY_TAGS) ?? null,
    keys: props.get(MessageConst.PROPERTY_KEYS)?.split(" ").filter(Boolean) ?? [],
    properties: Object.fromEntries(props),
    flag: r.flag,
    sysFlag: r.sysFlag,
    bodyCrc: r.bodyCrc,
    bornTimestamp: r.bornTimestamp,
    bornHost: formatHost(r.bornHost),
    storeTimestamp: r.storeTimestamp,
    storeHost: formatHost(r.storeHost),
    reconsumeTimes: r.reconsumeTimes,
    preparedTransactionOffset: r.preparedTransactionOffset,
    bodyLength: r.body.length,
    ...(withBody ? { body: Buffer.from(r.body).toString("base64") } : {}),
  };
}

export { isoTime };
