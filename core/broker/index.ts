// Public surface of core/broker.
export * from "./fastjson_pretty.ts";
export * from "./config_files.ts";
export * from "./config_file_persist.ts";
export { Broker, parseNamesrvAddrs, type BrokerOptions } from "./broker.ts";
export { TopicManager, TopicValidator } from "./topics.ts";
