// Public surface of core/broker.
export * from "./fastjson_pretty.ts";
export * from "./config_files.ts";
export * from "./config_file_persist.ts";
export { ConfigFileWriter } from "./config_file_writer.ts";
export { Broker, parseNamesrvAddrs, type BrokerOptions } from "./broker.ts";
export { TopicManager, TopicValidator } from "./topics.ts";
// The store files only a broker in controller mode writes, for `rmq inspect ha`.
export { decodeEpochFile, EPOCH_FILE_NAME, type EpochEntry } from "../ha/epoch_file.ts";
