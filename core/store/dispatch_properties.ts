// The properties dispatch reads of every record (TAGS for the unit's tag hash, UNIQ_KEY and KEYS
// for the index), found in one pass over the properties string instead of one search per name.
// Same rules as findMessageProperty: the first occurrence of a name wins and an empty value
// counts as absent. Other names fall back to findMessageProperty.

import { javaStringHashCodeOfRange } from "../common/checksum.ts";
import { findMessageProperty, MessageConst } from "../common/message.ts";

export class DispatchProperties {
  uniqKey: string | undefined = undefined;
  keys: string | undefined = undefined;
  /** TAGS' hash (Java's String.hashCode, the unit's tagsCode), 0 without TAGS. */
  tagsHash = 0;
  private text = "";
  /** Where TAGS' value lies in the text, -1 without TAGS: hashed in place, sliced on demand. */
  private tagsFrom = -1;
  private tagsTo = -1;

  get tags(): string | undefined {
    return this.tagsFrom < 0 ? undefined : this.text.slice(this.tagsFrom, this.tagsTo);
  }

  /** Reads any property of the record last scanned; made once, so no closure per record. */
  readonly reader = (name: string): string | undefined => {
    switch (name) {
      case MessageConst.PROPERTY_TAGS:
        return this.tags;
      case MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX:
        return this.uniqKey;
      case MessageConst.PROPERTY_KEYS:
        return this.keys;
      default:
        return findMessageProperty(this.text, name);
    }
  };

  scan(text: string): void {
    this.text = text;
    this.tagsFrom = this.tagsTo = -1;
    this.tagsHash = 0;
    this.uniqKey = undefined;
    this.keys = undefined;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf("\u0002", start); // property separator
      if (end < 0) end = text.length;
      const cut = text.indexOf("\u0001", start); // name-value separator
      if (cut > start && cut < end - 1) this.take(text, start, cut, end);
      start = end + 1;
    }
  }

  /** Keeps the value of [start, cut) = [cut + 1, end) if it is one of ours and the first. */
  private take(text: string, start: number, cut: number, end: number): void {
    const nameLength = cut - start;
    // Compare lengths and first characters before building any string.
    if (nameLength === 4 && text.startsWith(MessageConst.PROPERTY_TAGS, start)) {
      if (this.tagsFrom < 0) {
        this.tagsFrom = cut + 1;
        this.tagsTo = end;
        this.tagsHash = javaStringHashCodeOfRange(text, cut + 1, end);
      }
    } else if (nameLength === 4 && text.startsWith(MessageConst.PROPERTY_KEYS, start)) {
      this.keys ??= text.slice(cut + 1, end);
    } else if (
      nameLength === MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX.length &&
      text.startsWith(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, start)
    ) {
      this.uniqKey ??= text.slice(cut + 1, end);
    }
  }
}
