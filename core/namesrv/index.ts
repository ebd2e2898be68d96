// Public surface of core/namesrv.
export { Namesrv, type NamesrvOptions } from "./namesrv.ts";
export { RouteTable, MASTER_ID, type RegisterBrokerInput } from "./route_table.ts";
export { KvConfig, NAMESPACE_ORDER_TOPIC_CONFIG } from "./kv_config.ts";
