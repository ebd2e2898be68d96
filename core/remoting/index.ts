// Public surface of core/remoting.
export * from "./channel.ts";
export * from "./processor_table.ts";
export * from "./dispatch.ts";
export * from "./server.ts";
export * from "./client.ts";
