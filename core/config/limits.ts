// Every bound rmq enforces, in one place (STYLE rule 2). Relations between bounds are asserted
// when this module loads, so an edit that breaks one fails at once.

import { assert } from "../common/assert.ts";
import { KiB, MiB } from "../common/units.ts";

/** Largest remoting frame accepted or sent (RocketMQ's com.rocketmq.remoting.frameMaxLength). */
export const frameSizeBytesMax = 16 * MiB;

/** Header length is the low 24 bits of the header-meta word. */
export const headerSizeBytesMax = (1 << 24) - 1;

/** Room a frame keeps for its header when a message body fills the rest. */
export const headerAllowanceBytes = 64 * KiB;

/** Entries in one extFields map; RocketMQ headers have a few dozen at most. */
export const extFieldCountMax = 1024;

/** Requests one client connection may have awaiting a response at once. */
export const pendingRequestCountMax = 65_536;

/** Bytes queued for writing on one connection before it counts as a slow reader. */
export const connectionWriteBufferBytesMax = 64 * MiB;

/** Connections a server accepts at once; more are closed on arrival and logged. */
export const serverConnectionCountMax = 10_000;

/** Topic names: RocketMQ allows ^[%|a-zA-Z0-9_-]+$ up to 127 characters. */
export const topicNameLengthMax = 127;
/** %RETRY%<group> and %DLQ%<group> topics may be up to 255 (a group name can be long). */
export const groupTopicNameLengthMax = 255;

/** Broker registrations whose bodies we inflate: a zlib bomb stops here. */
export const registerBodyInflatedBytesMax = 64 * MiB;

/** Default request timeout of our client when a caller does not give one. */
export const requestTimeoutMsDefault = 3_000;

assert(frameSizeBytesMax <= 2 ** 31 - 1, "frame length must fit a Java int");
assert(headerAllowanceBytes < frameSizeBytesMax, "header allowance must leave room for a body");
assert(headerSizeBytesMax >= headerAllowanceBytes, "header allowance fits the 24-bit length");
