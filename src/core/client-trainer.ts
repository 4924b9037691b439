/**
 * The client side of a federated algorithm (BlazeFL's `BaseClientTrainer`): it trains a list of
 * clients on a downlink package and keeps their results, in `cidList` order, until
 * {@link BaseClientTrainer.uplinkPackage} takes them.
 *
 * @typeParam Up - The uplink package (client to server).
 * @typeParam Down - The downlink package (server to client).
 */
export interface BaseClientTrainer<Up, Down> {
  /** Takes the cached results, emptying the cache. */
  uplinkPackage(): Up[];
  /** Trains every client in `cidList` on `payload`; rejects with a `BlazeFLError` on failure. */
  localProcess(payload: Down, cidList: readonly number[]): Promise<void>;
}
