// MQVersion ordinals that change server behaviour (spec §1.8), and the version rmq announces.

export const MQVersion = {
  V3_0_11: 22,
  V3_4_9: 133,
  V4_5_2: 317,
  V4_9_4: 401,
  V4_9_7: 407,
  V5_0_0: 413,
  V5_3_3: 479,
} as const;

/**
 * The version ordinal rmq puts in every command it sends. We announce 4.9.7 because that is the
 * release whose wire captures and store files we verify against byte for byte (shared/fixtures).
 * Peers use it only for compatibility branches (e.g. quoted route-JSON keys from V4_9_4 on).
 */
export const rmqWireVersion: number = MQVersion.V4_9_7;
