/**
 * The load generator process: runs the scenarios the orchestrator sends over IPC and answers what it measured. It
 * holds the clients of every target, and the in-process provider (the limit) runs here too.
 */
import { serveIpc } from './ipc.js';
import { runScenario, type ScenarioSpec } from './scenario.js';

serveIpc({
  ready: () => process.pid,
  run: (payload) => runScenario(payload as ScenarioSpec),
});
