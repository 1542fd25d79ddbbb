import type { LoadedRouting } from "../alerts/routing-set.js";
import { evaluationPartitions } from "../cluster/partition.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import type { Inventory } from "../inventory/inventory.js";
import type { RoleFence } from "../cluster/contact-fence.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { KvAlertStateStore } from "../store/jetstream/alert-state-store.js";
import type { KvEscalationStore } from "../store/jetstream/escalation-store.js";
import { KvInventoryStore } from "../store/jetstream/inventory-store.js";
import type { AlertSink, AuditSink, DeadLetterSink, SnapshotStore } from "../store/ports.js";
import { AlertStage } from "./alert-stage.js";
import { BoardResponder, boardSubject } from "./board-subject.js";
import type { RoleRunner } from "./cluster-membership.js";
import type { EngineContext } from "./engine-context.js";
import { EscalationStage } from "./escalation-stage.js";
import type { EscalationService } from "./escalation-service.js";
import { EvaluationStage } from "./evaluation-stage.js";
import { InventoryStage } from "./inventory-stage.js";
import { NotifyStage } from "./notify-stage.js";
import type { SilenceService } from "./silence-service.js";

/** The role that runs grouping, escalation, notification and the inventory: one replica at a time. */
export const COORDINATOR_ROLE = "coordinator";

/** A stage a role runs: stopped gracefully when the role is handed over, halted when it is lost. */
interface RoleStage {
  stop(): Promise<void>;
  halt(): void;
}

/** What the roles' stages are built from; `current()` is what the engine has loaded now (reloads change it). */
export interface EngineRolesDeps extends EngineContext {
  actor: string;
  audit: AuditSink;
  alertSink: AlertSink;
  deadLetters: DeadLetterSink;
  snapshots: SnapshotStore;
  alertState: KvAlertStateStore;
  escalationStore: KvEscalationStore;
  escalation: EscalationService;
  silences: SilenceService;
  recordAudit: (action: string, details: Record<string, unknown>) => Promise<void>;
  /** Whether this replica still holds the role, asked of the store (see ClusterMembership.holds). */
  holdsRole: (role: string) => Promise<boolean>;
  /** Whether this replica may act on its roles now, asked by every stage per message (see ContactFence). */
  fence: RoleFence;
  current(): { rules: CompiledRule[]; rulesHash: string; routing: LoadedRouting; directory: OnCallDirectory; inventory: Inventory };
}

/**
 * What this replica runs of the shared work, role by role: an evaluation partition is one EvaluationStage; the
 * coordinator is the alert, escalation, notify and inventory stages, which need every alert (or every report) of the
 * fleet in one place. Their state is in JetStream, so whoever wins a role resumes where the last holder stopped.
 */
export class EngineRoles implements RoleRunner {
  private readonly stages = new Map<string, RoleStage[]>();
  private readonly evaluations = new Map<string, EvaluationStage>();
  private coordinator: { alertStage: AlertStage; inventoryStage?: InventoryStage } | undefined;

  constructor(private readonly deps: EngineRolesDeps) {}

  async start(role: string): Promise<void> {
    if (role === COORDINATOR_ROLE) return this.startCoordinator();
    const partition = evaluationPartitions(this.deps.config).find((p) => p.role === role);
    if (!partition) throw new Error(`unknown role "${role}"`);
    const { config, js, jsm, clock, logs, metrics, alertSink, deadLetters, snapshots, recordAudit, fence } = this.deps;
    const current = this.deps.current();
    const stage = new EvaluationStage(
      { config, js, jsm, clock, logger: logs.logger("evaluate"), metrics, alerts: alertSink, deadLetters, snapshots, recordAudit, partition, fence },
      current.rules,
      current.rulesHash,
    );
    this.evaluations.set(role, stage);
    this.stages.set(role, [stage]);
    await stage.start();
  }

  /** Handed over: each stage of the role finishes what it holds, in pipeline order. Lost: all stop at once. */
  async stop(role: string, graceful: boolean): Promise<void> {
    const stages = this.stages.get(role) ?? [];
    this.stages.delete(role);
    if (role === COORDINATOR_ROLE) this.coordinator = undefined;
    else this.evaluations.delete(role);
    for (const stage of stages) {
      if (graceful) await stage.stop();
      else stage.halt();
    }
  }

  /** A crash: every stage of every role stops at once, saving nothing. */
  haltAll(): void {
    for (const stages of this.stages.values()) for (const stage of stages) stage.halt();
  }

  evaluationStatuses(): Array<ReturnType<EvaluationStage["status"]>> {
    return [...this.evaluations.values()].map((stage) => stage.status());
  }

  /** The alert stage's view, when this replica is the coordinator. */
  alerts(fingerprints?: readonly string[]): ReturnType<AlertStage["alerts"]> | undefined {
    return this.coordinator?.alertStage.alerts(fingerprints);
  }

  /** The alert stage's board for the console, when this replica is the coordinator. */
  board(rows: number): ReturnType<AlertStage["board"]> | undefined {
    return this.coordinator?.alertStage.board(rows);
  }

  /** The alert stage's aggregation groups, when this replica is the coordinator. */
  groups(): ReturnType<AlertStage["groups"]> | undefined {
    return this.coordinator?.alertStage.groups();
  }

  alertCounts(): ReturnType<AlertStage["alertCounts"]> | undefined {
    return this.coordinator?.alertStage.alertCounts();
  }

  async setRules(rules: CompiledRule[], rulesHash: string): Promise<void> {
    for (const stage of this.evaluations.values()) await stage.setRules(rules, rulesHash);
  }

  async setRouting(routing: LoadedRouting): Promise<void> {
    await this.coordinator?.alertStage.setRouting(routing);
  }

  async setInventory(inventory: Inventory): Promise<void> {
    await this.coordinator?.inventoryStage?.setInventory(inventory);
  }

  private async startCoordinator(): Promise<void> {
    const { config, nc, js, jsm, clock, logs, metrics, actor, audit, alertSink, deadLetters, alertState, escalationStore, fence } = this.deps;
    const directory = (): OnCallDirectory => this.deps.current().directory;
    const alertStage = new AlertStage({ config, js, store: alertState, audit, deadLetters, clock, logger: logs.logger("alerts"), metrics, actor, fence, stillCoordinator: () => this.deps.holdsRole(COORDINATOR_ROLE) });
    const escalationStage = new EscalationStage({ config, js, store: escalationStore, audit, clock, logger: logs.logger("escalate"), metrics, actor, directory, fence });
    // Created first: if it cannot be (a template broke), no stage of the role has started.
    const notifyStage = await NotifyStage.create({
      config,
      nc,
      js,
      clock,
      logger: logs.logger("notify"),
      metrics,
      audit,
      actor,
      directory,
      receivers: () => this.deps.current().routing.routing.receivers,
      escalationStore,
      escalation: this.deps.escalation,
      silences: this.deps.silences,
      fence,
    });
    const inventoryStage = new InventoryStage(
      { config, js, jsm, store: await KvInventoryStore.open(nc, config.state.inventoryBucket), alerts: alertSink, deadLetters, audit, clock, logger: logs.logger("inventory"), metrics, actor, fence },
      this.deps.current().inventory,
    );
    const stages: RoleStage[] = [alertStage, escalationStage, notifyStage];
    this.coordinator = { alertStage };
    this.stages.set(COORDINATOR_ROLE, stages);
    await alertStage.start(this.deps.current().routing);
    // The console's board for the other replicas; first to stop, so no answer comes from a stage winding down.
    const boardResponder = new BoardResponder({ nc, subject: boardSubject(config), board: (rows) => alertStage.board(rows), logger: logs.logger("alerts") });
    boardResponder.start();
    stages.unshift(boardResponder);
    await escalationStage.start();
    await notifyStage.start();
    // The fleet inventory judges every report against the whole inventory: it runs with the coordinator too.
    stages.push(inventoryStage);
    this.coordinator.inventoryStage = inventoryStage;
    await inventoryStage.start();
  }
}
