// Public surface of core/client.
export * from "./producer.ts";
export * from "./consumer.ts";
export * from "./received_message.ts";
export * from "./route_cache.ts";
export * from "./message_id.ts";
export * from "./admin.ts";
export * from "./local_offset_store.ts";
export * from "./pull_consumer.ts";
export * from "./dedup_store.ts";
export * from "./idempotent.ts";
export * from "./dlq_resend.ts";
export * from "./transaction_producer.ts";
export * from "./pending_transactions.ts";
export * from "./requester.ts";
export { replyTo } from "./request_reply.ts";
