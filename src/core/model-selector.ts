/** Builds models by name (BlazeFL's `ModelSelector`). */
export interface ModelSelector<Name extends string, Model> {
  /** The names {@link ModelSelector.selectModel} accepts. */
  readonly names: readonly Name[];
  /**
   * Returns a fresh model. Its initial weights are a pure function of the selector's seed:
   * every call, in any worker, gives identical weights.
   */
  selectModel(name: Name): Model;
}
