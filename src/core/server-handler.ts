/**
 * The server side of a federated algorithm (BlazeFL's `BaseServerHandler`). The framework
 * prescribes no loop; a user writes it:
 * ```ts
 * while (!server.isStopped()) {
 *   const cids = server.sampleClients();
 *   await trainer.localProcess(server.downlinkPackage(), cids);
 *   for (const pkg of trainer.uplinkPackage()) server.load(pkg);
 * }
 * ```
 *
 * @typeParam Up - The uplink package (client to server).
 * @typeParam Down - The downlink package (server to client).
 */
export interface BaseServerHandler<Up, Down> {
  /** The package sent to every sampled client this round. */
  downlinkPackage(): Down;
  /** The client ids to train this round, sorted; a pure function of the seed and the round. */
  sampleClients(): number[];
  /** True when training is finished. */
  isStopped(): boolean;
  /** Applies one round's worth of uplink packages to the global model. */
  globalUpdate(buffer: Up[]): void;
  /** Takes one uplink package; returns true when it completed a round and the global update ran. */
  load(payload: Up): boolean;
}
