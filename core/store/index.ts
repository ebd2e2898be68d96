// Public surface of core/store.
export * from "./file_io.ts";
export * from "./store_layout.ts";
export * from "./segments.ts";
export * from "./commit_log_codec.ts";
export * from "./commit_log_scan.ts";
export * from "./consume_queue_codec.ts";
export * from "./checkpoint_codec.ts";
export * from "./index_codec.ts";
export * from "./consume_queue_read.ts";
export * from "./index_read.ts";
export * from "./commit_log_reader.ts";
export * from "./verify.ts";
export * from "./stats.ts";
