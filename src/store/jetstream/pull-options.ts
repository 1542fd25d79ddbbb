/**
 * Pull options for every consumer Klaxon runs. With the client's default (a 30 s pull), a pull request that the
 * server never answered was only replaced when it expired: we measured deliveries stalled for 30–38 s now and then on
 * nats-server 2.9. Short pulls with heartbeats bound such a stall to a few seconds, at the cost of one pull request
 * every few seconds on an idle consumer.
 */
export const LIVE_PULL = { expires: 5_000, idle_heartbeat: 2_000 } as const;

/** For one-pass reads (replay, KV scans, tests): give up on a silent pull quickly and ask again. */
export const SCAN_PULL = { expires: 2_000, idle_heartbeat: 1_000 } as const;
