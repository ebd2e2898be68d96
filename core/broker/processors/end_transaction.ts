// END_TRANSACTION (spec §3.7, §7.3): the producer's verdict on a half message. COMMIT stores
// the real message (topic REAL_TOPIC, queue REAL_QID, sysFlag COMMIT, preparedTransactionOffset
// = the half's offset, properties string unchanged) and then an op record; ROLLBACK writes the
// op record only; UNKNOWN (0) is ignored, the check-back will ask again. Sent oneway by Java.

import { waitStoreMsgOk } from "../../common/java_boolean.ts";
import { findMessageProperty, MessageConst, MessageSysFlag } from "../../common/message.ts";
import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import {
  optionalBool,
  optionalString,
  requiredInt,
  requiredString,
} from "../../protocol/header_fields.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import { PutMessageStatus } from "../../store/status.ts";
import { releasedMessage } from "../parked_message.ts";
import type { BrokerContext } from "../context.ts";
import { putReplicated } from "../replication.ts";
import { sendStatusResponse } from "./send.ts";

export async function processEndTransaction(
  ctx: BrokerContext,
  request: RemotingCommand,
): Promise<RemotingCommand | null> {
  const producerGroup = requiredString(request, "producerGroup");
  const tranStateTableOffset = requiredInt(request, "tranStateTableOffset");
  const commitLogOffset = requiredInt(request, "commitLogOffset");
  const verdict = requiredInt(request, "commitOrRollback");
  const fromCheck = optionalBool(request, "fromTransactionCheck") ?? false;
  const msgId = optionalString(request, "msgId") ?? "";
  const refuse = (code: number, remark: string) => createResponse(request, code, { remark });
  if (ctx.role.brokerRole === "SLAVE") {
    return refuse(
      ResponseCode.SLAVE_NOT_AVAILABLE,
      "Message store is slave mode, so end transaction is forbidden. ",
    );
  }
  const what = `${fromCheck ? "check answer" : "end"} of ${msgId} from group ${producerGroup}`;
  if (
    verdict !== MessageSysFlag.TRANSACTION_COMMIT_TYPE &&
    verdict !== MessageSysFlag.TRANSACTION_ROLLBACK_TYPE
  ) {
    ctx.log.debug(`transaction ${what}: state ${verdict}, left for the check-back`);
    return null;
  }
  const half = ctx.store.lookMessageByOffset(commitLogOffset);
  if (!half) return refuse(ResponseCode.SYSTEM_ERROR, "Find prepared transaction message failed");
  const group = findMessageProperty(half.properties, MessageConst.PROPERTY_PRODUCER_GROUP);
  if (group !== producerGroup) return refuse(ResponseCode.SYSTEM_ERROR, "The producer group wrong");
  if (half.queueOffset !== tranStateTableOffset) {
    return refuse(ResponseCode.SYSTEM_ERROR, "The transaction state table offset wrong");
  }
  if (half.physicalOffset !== commitLogOffset) {
    return refuse(ResponseCode.SYSTEM_ERROR, "The commit log offset wrong");
  }
  const resolve = () => ctx.opRecords.resolve(half.queueId, half.queueOffset);
  if (verdict === MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) {
    const op = await resolve();
    if (op.status !== PutMessageStatus.PUT_OK) {
      return refuse(ResponseCode.SYSTEM_ERROR, `op record not stored: ${op.status}`);
    }
    return createResponse(request, ResponseCode.SUCCESS);
  }
  const released = releasedMessage(half, ctx.storeHost);
  if (!released) {
    return refuse(ResponseCode.SYSTEM_ERROR, "the half message names no real topic and queue");
  }
  const wait = findMessageProperty(half.properties, MessageConst.PROPERTY_WAIT_STORE_MSG_OK);
  const commit = {
    ...released,
    sysFlag:
      (half.sysFlag & ~MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) |
      MessageSysFlag.TRANSACTION_COMMIT_TYPE,
    preparedTransactionOffset: half.physicalOffset,
  };
  const result = await putReplicated(
    ctx.replication,
    ctx.store,
    [commit],
    waitStoreMsgOk(wait),
    waitStoreMsgOk(wait),
  );
  const refusal = sendStatusResponse(request, result);
  if (refusal) return refusal;
  // Stored (possibly with a flush or slave status): the half is resolved.
  const op = await resolve();
  if (op.status !== PutMessageStatus.PUT_OK) {
    // The commit stands; without its op record the half will be checked again.
    ctx.log.error(
      `transaction ${what}: committed, but its op record was not stored (${op.status})`,
    );
  }
  return createResponse(request, ResponseCode.SUCCESS);
}
