// Public surface of core/protocol: pure codecs of the RocketMQ remoting protocol.
export * from "./command.ts";
export * from "./request_code.ts";
export * from "./response_code.ts";
export * from "./language_code.ts";
export * from "./version.ts";
export * from "./frame.ts";
export * from "./header_json.ts";
export * from "./header_binary.ts";
export * from "./header_fields.ts";
export * from "./fastjson.ts";
export * from "./topic_config.ts";
export * from "./route_data.ts";
export * from "./register_broker_body.ts";
export * from "./headers/send.ts";
export * from "./headers/pull.ts";
export * from "./batch_body.ts";
export * from "./heartbeat.ts";
