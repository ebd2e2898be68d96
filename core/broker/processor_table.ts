// The broker's request code -> processor table (STYLE rule 5). Codes not listed here get
// REQUEST_CODE_NOT_SUPPORTED from the remoting layer, as RocketMQ's admin processor answers.

import { createResponse, isOneway, type RemotingCommand } from "../protocol/command.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ProcessorTable } from "../remoting/processor_table.ts";
import type { BrokerContext } from "./context.ts";
import * as admin from "./processors/admin.ts";
import * as client from "./processors/client.ts";
import * as locks from "./processors/locks.ts";
import * as offsets from "./processors/offsets.ts";
import * as groupStats from "./processors/group_stats.ts";
import { processPull } from "./processors/pull.ts";
import * as query from "./processors/query.ts";
import { processRuntimeInfo } from "./processors/runtime_info.ts";
import { processSend } from "./processors/send.ts";
import { processSendBack } from "./processors/send_back.ts";
import { processSendReply } from "./processors/send_reply.ts";
import { processEndTransaction } from "./processors/end_transaction.ts";
import { processEpochCache } from "./processors/epoch_cache.ts";
import { processResetOffset } from "./processors/reset_offset.ts";
import { processCallConsumer, processConsumeMessageDirectly } from "./processors/call_consumer.ts";
import { processGetBrokerConfig, processUpdateBrokerConfig } from "./runtime_config.ts";

export function brokerProcessors(ctx: BrokerContext): ProcessorTable {
  const on =
    (f: (ctx: BrokerContext, r: RemotingCommand) => RemotingCommand) => (r: RemotingCommand) =>
      f(ctx, r);
  return new ProcessorTable()
    .register(RequestCode.SEND_MESSAGE, (r, ch) => processSend(ctx, r, ch))
    .register(RequestCode.SEND_MESSAGE_V2, (r, ch) => processSend(ctx, r, ch))
    .register(RequestCode.SEND_BATCH_MESSAGE, (r, ch) => processSend(ctx, r, ch))
    .register(RequestCode.SEND_REPLY_MESSAGE, (r, ch) => processSendReply(ctx, r, ch))
    .register(RequestCode.SEND_REPLY_MESSAGE_V2, (r, ch) => processSendReply(ctx, r, ch))
    .register(RequestCode.CONSUMER_SEND_MSG_BACK, (r) => processSendBack(ctx, r))
    .register(RequestCode.END_TRANSACTION, (r) => processEndTransaction(ctx, r))
    .register(RequestCode.PULL_MESSAGE, (r, ch) => processPull(ctx, r, ch))
    .register(RequestCode.LITE_PULL_MESSAGE, (r, ch) => processPull(ctx, r, ch))
    .register(RequestCode.HEART_BEAT, (r, ch) => client.processHeartbeat(ctx, r, ch))
    .register(RequestCode.UNREGISTER_CLIENT, (r, ch) => client.processUnregisterClient(ctx, r, ch))
    .register(RequestCode.GET_CONSUMER_LIST_BY_GROUP, on(client.processGetConsumerList))
    .register(RequestCode.CHECK_CLIENT_CONFIG, on(client.processCheckClientConfig))
    .register(RequestCode.QUERY_CONSUMER_OFFSET, on(offsets.processQueryConsumerOffset))
    .register(RequestCode.CLONE_GROUP_OFFSET, on(offsets.processCloneGroupOffset))
    .register(RequestCode.UPDATE_CONSUMER_OFFSET, on(offsets.processUpdateConsumerOffset))
    .register(RequestCode.GET_MAX_OFFSET, on(offsets.processGetMaxOffset))
    .register(RequestCode.GET_MIN_OFFSET, on(offsets.processGetMinOffset))
    .register(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, on(offsets.processSearchOffset))
    .register(RequestCode.GET_EARLIEST_MSG_STORETIME, on(offsets.processEarliestStoreTime))
    .register(RequestCode.UPDATE_AND_CREATE_TOPIC, on(admin.processCreateTopic))
    .register(RequestCode.DELETE_TOPIC_IN_BROKER, on(admin.processDeleteTopic))
    .register(RequestCode.GET_ALL_TOPIC_CONFIG, on(admin.processGetAllTopicConfig))
    .register(
      RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
      on(admin.processUpdateSubscriptionGroup),
    )
    .register(RequestCode.DELETE_SUBSCRIPTIONGROUP, on(admin.processDeleteSubscriptionGroup))
    .register(RequestCode.GET_ALL_CONSUMER_OFFSET, on(admin.processGetAllConsumerOffset))
    .register(RequestCode.GET_ALL_DELAY_OFFSET, on(admin.processGetAllDelayOffset))
    .register(
      RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
      on(admin.processGetAllSubscriptionGroups),
    )
    .register(RequestCode.GET_CONSUME_STATS, on(groupStats.processConsumeStats))
    .register(RequestCode.GET_CONSUMER_CONNECTION_LIST, on(groupStats.processConsumerConnections))
    .register(RequestCode.GET_TOPIC_STATS_INFO, on(groupStats.processTopicStats))
    .register(RequestCode.GET_PRODUCER_CONNECTION_LIST, on(groupStats.processProducerConnections))
    .register(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, on(groupStats.processTopicConsumeByWho))
    .register(RequestCode.GET_BROKER_CONSUME_STATS, on(groupStats.processBrokerConsumeStats))
    .register(RequestCode.QUERY_CONSUME_QUEUE, on(query.processQueryConsumeQueue))
    .register(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, on(admin.processSystemTopicList))
    .register(RequestCode.QUERY_CONSUME_TIME_SPAN, on(groupStats.processConsumeTimeSpan))
    .register(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, on(processResetOffset))
    .register(RequestCode.GET_CONSUMER_RUNNING_INFO, (r) => processCallConsumer(ctx, r))
    .register(RequestCode.CONSUME_MESSAGE_DIRECTLY, (r) => processConsumeMessageDirectly(ctx, r))
    .register(RequestCode.GET_BROKER_CONFIG, on(processGetBrokerConfig))
    .register(RequestCode.UPDATE_BROKER_CONFIG, on(processUpdateBrokerConfig))
    .register(RequestCode.LOCK_BATCH_MQ, on(locks.processLockBatch))
    .register(RequestCode.UNLOCK_BATCH_MQ, on(locks.processUnlockBatch))
    .register(RequestCode.GET_BROKER_RUNTIME_INFO, on(processRuntimeInfo))
    .register(RequestCode.QUERY_MESSAGE, on(query.processQueryMessage))
    .register(RequestCode.VIEW_MESSAGE_BY_ID, on(query.processViewMessageById))
    .register(RequestCode.GET_BROKER_EPOCH_CACHE, on(processEpochCache))
    .register(RequestCode.NOTIFY_BROKER_ROLE_CHANGED, (r) => {
      if (!ctx.onRoleNotice) {
        return createResponse(r, ResponseCode.SYSTEM_ERROR, {
          remark: "this broker is not in controller mode",
        });
      }
      ctx.onRoleNotice(r);
      return isOneway(r) ? null : createResponse(r, ResponseCode.SUCCESS);
    });
}
