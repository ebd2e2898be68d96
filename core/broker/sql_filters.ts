// SQL92 subscriptions as the broker applies them (spec: expressionType SQL92, broker key
// enablePropertyFilter): each distinct expression is compiled once and kept (bounded), its
// compile error too, so a pull with a bad expression is answered without parsing it again.

import { BoundedMemo } from "../common/bounded_memo.ts";
import { decodeRecord } from "../common/record_codec.ts";
import { findMessageProperty } from "../common/message.ts";
import { compileSql92, Sql92Error, type Sql92Filter } from "../protocol/sql92/index.ts";

const cachedExpressionsMax = 4096;

export class SqlFilters {
  private readonly compiled = new BoundedMemo(cachedExpressionsMax, compileOrRefuse);

  /** The compiled filter, or the reason the expression is refused. */
  get(expression: string): Sql92Filter | Sql92Error {
    return this.compiled.get(expression);
  }
}

function compileOrRefuse(expression: string): Sql92Filter | Sql92Error {
  try {
    return compileSql92(expression);
  } catch (error) {
    if (!(error instanceof Sql92Error)) throw error;
    return error;
  }
}

/** A store record accepter: true when the stored record's properties match the filter. */
export function recordMatcher(filter: Sql92Filter): (record: Uint8Array) => boolean {
  return (record) => {
    const decoded = decodeRecord(record, 0, { checkCrc: false, basePosition: 0 });
    if (decoded.kind !== "record") return false;
    const text = decoded.record.properties;
    return filter.matches((name) => findMessageProperty(text, name));
  };
}
