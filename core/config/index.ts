// Public surface of core/config.
export * from "./limits.ts";
export * from "./properties.ts";
export * from "./config_schema.ts";
export * from "./namesrv_config.ts";
export * from "./store_config.ts";
export * from "./broker_config.ts";
