// The core names `rmq inspect` uses, through the core folders' public surfaces.
export {
  createOffsetMessageId,
  formatHost,
  MessageConst,
  parseMessageProperties,
} from "../../core/common/index.ts";
export type { StoredRecord as StoredRecordView } from "../../core/store/index.ts";
