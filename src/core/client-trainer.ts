/**
 * The client side of a federated algorithm: it trains a list of clients on a downlink package and
 * keeps their results, in `cidList` order, until {@link BaseClientTrainer.uplinkPackage} takes them.
 *
 * @typeParam Up - The uplink package (client to server).
 * @typeParam Down - The downlink package (server to client).
 */
export interface BaseClientTrainer<Up, Down> {
  /** Returns the cached results, in the order of the `cidList` given, and empties the cache. */
  uplinkPackage(): Up[];
  /**
   * Trains every client in `cidList` on `payload` and appends the results to the cache in
   * `cidList` order. Rejects with a `BlazeFLError` on failure.
   */
  localProcess(payload: Down, cidList: readonly number[]): Promise<void>;
}
