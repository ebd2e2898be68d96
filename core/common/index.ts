// Public surface of core/common.
export * from "./assert.ts";
export * from "./errors.ts";
export * from "./units.ts";
export * from "./clock.ts";
export * from "./prng.ts";
export * from "./checksum.ts";
export * from "./log.ts";
export * from "./message.ts";
export * from "./record_codec.ts";
export * from "./int64.ts";
export * from "./durable_file.ts";
export * from "./delay_levels.ts";
export * from "./server_runtime.ts";
