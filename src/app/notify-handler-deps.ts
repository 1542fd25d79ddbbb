import type { Config } from "../config/config.schema.js";
import type { Clock } from "../core/clock.js";
import type { Channels } from "../notify/channels/index.js";
import type { DeliveryRunner } from "./notify-delivery.js";
import type { NotifyFacts } from "./notify-facts.js";
import type { SafeRenderer } from "./notify-render.js";
import type { NotifyStore } from "./notify-store.js";

/** What every notify handler (pages, receivers) works with; each adds only where its recipients come from. */
export interface NotifyHandlerDeps {
  config: Config;
  clock: Clock;
  store: NotifyStore;
  facts: NotifyFacts;
  runner: DeliveryRunner;
  channels: Channels;
  render: SafeRenderer;
}
