// Public surface of core/broker: the broker's metadata files (more to come with the broker).
export * from "./fastjson_pretty.ts";
export * from "./config_files.ts";
export * from "./config_file_persist.ts";
