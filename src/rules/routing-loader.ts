import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROUTING_FILE } from "../alerts/routes-loader.js";
import { buildRouting, type RoutingLoadResult } from "../alerts/routing-set.js";

/** Read `<rulesDir>/routes/routes.json`; without it, every alert goes to the default route. */
export async function loadRouting(rulesDir: string): Promise<RoutingLoadResult> {
  const file = join(rulesDir, ROUTING_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return buildRouting(undefined, undefined);
    throw error;
  }
  return buildRouting(file, text);
}
