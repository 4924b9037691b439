/**
 * Shared-memory packages: "receipts with handles". A package (plain objects, arrays, Maps and
 * Sets holding typed arrays) crosses a thread or process boundary in two parts: its typed arrays,
 * written once into a shared region (a `SharedArrayBuffer`, or a file on tmpfs), and a small
 * **receipt**, the package with each array replaced by an {@link SHMHandle} saying where it lives.
 * {@link replaceWithHandles} plans the receipt and the copies, {@link writePlacements} makes the
 * copies, {@link reconstructSharedMemory} zips receipt and regions back together, and
 * {@link moveToSharedMemory} does all three. The walk is cycle-safe and refuses nesting deeper
 * than `maxDepth`; other objects (class instances, Dates, ArrayBuffers) are left as they are.
 *
 * @example
 * ```ts
 * const { value, buffer, receipt } = moveToSharedMemory({ name: "w", params: new Float32Array(8) });
 * // post `receipt` and `buffer` to a worker thread, then there:
 * const same = reconstructSharedMemory<typeof value>(receipt, [buffer]);
 * ```
 * @module
 */
import { OptionsError, SharedMemoryError } from "./errors.js";

const CONSTRUCTORS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;

/** The constructor names of {@link TypedArray}. */
export type TypedArrayName = keyof typeof CONSTRUCTORS;

/** Every typed-array type a package may hold. */
export type TypedArray = InstanceType<(typeof CONSTRUCTORS)[TypedArrayName]>;

type TypedArrayConstructor = (new (
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
) => TypedArray) & { readonly BYTES_PER_ELEMENT: number };

const constructorOf = (name: TypedArrayName): TypedArrayConstructor =>
  CONSTRUCTORS[name] as TypedArrayConstructor;

/** Arrays in a region start on a cache line (or their element size, if larger). */
const ALIGNMENT = 64;

/**
 * The name of a typed array's type, or `undefined` for anything else (DataViews included), so
 * that a walk can tell leaves from containers. A Node `Buffer` counts as a `Uint8Array`.
 */
export function typedArrayName(value: unknown): TypedArrayName | undefined {
  if (!ArrayBuffer.isView(value)) return undefined;
  const tag = (value as Uint8Array)[Symbol.toStringTag];
  return Object.hasOwn(CONSTRUCTORS, tag) ? (tag as TypedArrayName) : undefined;
}

/** The tag that marks an {@link SHMHandle}; it survives structured cloning, unlike a prototype. */
export const SHM_HANDLE_TAG = "blazefl:SHMHandle";

/** An {@link SHMHandle}'s fields as they arrive after crossing a thread or process. */
export interface SHMHandleLike {
  /** Always {@link SHM_HANDLE_TAG}. */
  readonly tag: typeof SHM_HANDLE_TAG;
  /** The array's type. */
  readonly type: TypedArrayName;
  /** Which region of the receipt's region list holds the array. */
  readonly region: number;
  /** The array's byte offset in its region, a multiple of the element size. */
  readonly byteOffset: number;
  /** The number of elements. */
  readonly length: number;
}

/**
 * Where one typed array of a package lives in shared memory; it stands in for the array in a
 * receipt (BlazeFL's `SHMHandle`). `new SHMHandle()` (or {@link IN_SHM_BUFFER}), with no place
 * (`type` and the rest `undefined`), is BlazeFL's other use of the name, a **marker**: a worker that
 * wrote a field into its `shmBuffer` returns that field as the marker, meaning "take it from the
 * client's shared buffer".
 */
export class SHMHandle implements SHMHandleLike {
  readonly tag = SHM_HANDLE_TAG;
  readonly type!: TypedArrayName;
  readonly region!: number;
  readonly byteOffset!: number;
  readonly length!: number;

  /** A marker (see the class comment). */
  constructor();
  /** A handle: `length` elements of `type` at `byteOffset` of region `region`. */
  constructor(type: TypedArrayName, region: number, byteOffset: number, length: number);
  constructor(type?: TypedArrayName, region?: number, byteOffset?: number, length?: number) {
    if (type === undefined) return;
    this.type = type;
    this.region = region as number;
    this.byteOffset = byteOffset as number;
    this.length = length as number;
  }

  /** True for an {@link SHMHandle} with a place (not a marker), or a structured clone of one. */
  static isHandle(value: unknown): value is SHMHandleLike {
    return tagged(value) && value.type !== undefined;
  }

  /** True for the no-argument marker `new SHMHandle()` (or a structured clone of one). */
  static isMarker(value: unknown): boolean {
    return tagged(value) && value.type === undefined;
  }
}

function tagged(value: unknown): value is { readonly type?: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { tag?: unknown }).tag === SHM_HANDLE_TAG
  );
}

/**
 * The marker `new SHMHandle()`, typed `never` so that it fits any field of an uplink package:
 * `return { cid, values: IN_SHM_BUFFER }` after writing `shmBuffer.values`.
 */
export const IN_SHM_BUFFER: never = new SHMHandle() as never;

/** A receipt: the package `T` with every typed array replaced by an {@link SHMHandleLike}. */
export type Receipt<T> = T extends TypedArray
  ? SHMHandleLike
  : T extends Map<infer K, infer V>
    ? Map<K, Receipt<V>>
    : T extends Set<infer V>
      ? Set<Receipt<V>>
      : T extends readonly unknown[]
        ? { [I in keyof T]: Receipt<T[I]> }
        : T extends (...args: never[]) => unknown
          ? T
          : T extends object
            ? { [K in keyof T]: Receipt<T[K]> }
            : T;

/** Options of the package walk. */
export interface WalkOptions {
  /**
   * The deepest container walked (the root is at depth 0), so that a runaway structure is a
   * {@link SharedMemoryError}, not a stack overflow. @default 32
   */
  readonly maxDepth?: number;
  /** The name of the root in error messages, e.g. `"result"`. @default "package" */
  readonly rootName?: string;
}

/** Options of {@link replaceWithHandles}. */
export interface ReplaceOptions extends WalkOptions {
  /**
   * A receipt giving arrays their preallocated place (the result slot's layout): an array where
   * it holds a handle goes there and must match it; any other goes, aligned, to the overflow area.
   */
  readonly template?: unknown;
  /** The byte offset in region 0 where the overflow area starts (after the template). @default 0 */
  readonly overflowOffset?: number;
}

/** One copy to make: `array` goes to the place `handle` describes. */
export interface Placement {
  /** The source array. */
  readonly array: TypedArray;
  /** Where it goes. */
  readonly handle: SHMHandle;
}

/** The outcome of {@link replaceWithHandles}. */
export interface SharedPlan<T> {
  /** The package with its typed arrays replaced by handles. */
  readonly receipt: Receipt<T>;
  /** One copy per distinct typed array, in walk order. */
  readonly placements: readonly Placement[];
  /** The bytes each region needs (index = region). */
  readonly regionByteLengths: readonly number[];
}

/** Where the walk is, for messages; built lazily, as a linked list, so the walk stays cheap. */
interface PathNode {
  readonly parent: PathNode | undefined;
  readonly key: string | number;
  readonly kind: "root" | "index" | "key" | "map" | "set";
}

function formatPath(path: PathNode): string {
  const parts: string[] = [];
  for (let p: PathNode | undefined = path; p !== undefined; p = p.parent) {
    const { key, kind } = p;
    if (kind === "root") parts.push(String(key));
    else if (kind === "index") parts.push(`[${key}]`);
    else if (kind === "map") parts.push(`.get(${JSON.stringify(key)})`);
    else if (kind === "set") parts.push(`<set item ${key}>`);
    else
      parts.push(/^[A-Za-z_$][\w$]*$/.test(String(key)) ? `.${key}` : `[${JSON.stringify(key)}]`);
  }
  return parts.reverse().join("");
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const NOT_A_LEAF: unique symbol = Symbol("not a leaf");

/**
 * Rebuilds `value`, replacing leaves through `leaf` (which returns {@link NOT_A_LEAF} for
 * containers) and walking `template` alongside. Shared and cyclic objects map to one output.
 */
function walkPackage(
  value: unknown,
  template: unknown,
  options: WalkOptions,
  leaf: (value: object, template: unknown, path: PathNode) => unknown,
): unknown {
  const maxDepth = options.maxDepth ?? 32;
  if (!Number.isInteger(maxDepth) || maxDepth < 0)
    throw new OptionsError("maxDepth", maxDepth, "a non-negative integer");
  const seen = new Map<object, unknown>();
  const visit = (node: unknown, tmpl: unknown, depth: number, path: PathNode): unknown => {
    if (node === null || typeof node !== "object") return node;
    if (seen.has(node)) return seen.get(node);
    const mapped = leaf(node, tmpl, path);
    if (mapped !== NOT_A_LEAF) {
      seen.set(node, mapped);
      return mapped;
    }
    const isMap = node instanceof Map;
    if (!(Array.isArray(node) || isMap || node instanceof Set || isPlainObject(node))) return node;
    if (depth > maxDepth)
      throw new SharedMemoryError(
        `${formatPath(path)} is nested deeper than maxDepth (${maxDepth}); raise maxDepth or flatten the package`,
      );
    const child = (v: unknown, t: unknown, key: string | number, kind: PathNode["kind"]) =>
      visit(v, t, depth + 1, { parent: path, key, kind });
    if (Array.isArray(node)) {
      const out: unknown[] = new Array(node.length);
      seen.set(node, out);
      const t = Array.isArray(tmpl) ? tmpl : undefined;
      for (let i = 0; i < node.length; i++) out[i] = child(node[i], t?.[i], i, "index");
      return out;
    }
    if (isMap) {
      const out = new Map<unknown, unknown>();
      seen.set(node, out);
      const t = tmpl instanceof Map ? tmpl : undefined;
      for (const [k, v] of node)
        out.set(k, child(v, t?.get(k), typeof k === "number" ? k : String(k), "map"));
      return out;
    }
    if (node instanceof Set) {
      const out = new Set<unknown>();
      seen.set(node, out);
      let i = 0;
      for (const v of node) out.add(child(v, undefined, i++, "set"));
      return out;
    }
    const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(node));
    seen.set(node, out);
    const t =
      tmpl !== null && typeof tmpl === "object" && !Array.isArray(tmpl) && !(tmpl instanceof Map)
        ? (tmpl as Record<string, unknown>)
        : undefined;
    for (const key of Object.keys(node))
      out[key] = child(
        node[key],
        t !== undefined && Object.hasOwn(t, key) ? t[key] : undefined,
        key,
        "key",
      );
    return out;
  };
  return visit(value, template, 0, {
    parent: undefined,
    key: options.rootName ?? "package",
    kind: "root",
  });
}

/** Checks a handle from another thread or process; `path` is formatted only for an error. */
function checkHandle(handle: SHMHandleLike, path: PathNode): void {
  if (!Object.hasOwn(CONSTRUCTORS, handle.type))
    throw new SharedMemoryError(
      `${formatPath(path)}: unknown typed-array type ${JSON.stringify(handle.type)}`,
    );
  for (const field of ["region", "byteOffset", "length"] as const) {
    const v = handle[field];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw new SharedMemoryError(
        `${formatPath(path)}: handle.${field} must be a non-negative integer, got ${String(v)}`,
      );
  }
  if (handle.byteOffset % constructorOf(handle.type).BYTES_PER_ELEMENT !== 0)
    throw new SharedMemoryError(
      `${formatPath(path)}: byteOffset ${handle.byteOffset} is not a multiple of the ${handle.type} element size`,
    );
}

/**
 * "Replace": plans the receipt and the copies but copies nothing, so that the caller can size the
 * regions first. An array whose `template` handle has another type or length is a
 * {@link SharedMemoryError} that names the position and both sizes.
 */
export function replaceWithHandles<T>(value: T, options: ReplaceOptions = {}): SharedPlan<T> {
  let cursor = options.overflowOffset ?? 0;
  if (!Number.isInteger(cursor) || cursor < 0)
    throw new OptionsError("overflowOffset", cursor, "a non-negative integer");
  const placements: Placement[] = [];
  const regionByteLengths: number[] = [];
  const receipt = walkPackage(value, options.template, options, (node, tmpl, path) => {
    const type = typedArrayName(node);
    if (type === undefined) return NOT_A_LEAF;
    const array = node as TypedArray;
    let handle: SHMHandle;
    if (SHMHandle.isHandle(tmpl)) {
      checkHandle(tmpl, path);
      if (tmpl.type !== type || tmpl.length !== array.length)
        throw new SharedMemoryError(
          `${formatPath(path)} is a ${type}(${array.length}) but the preallocated buffer holds a ${tmpl.type}(${tmpl.length}) there`,
        );
      handle = new SHMHandle(type, tmpl.region, tmpl.byteOffset, tmpl.length);
    } else {
      const alignment = Math.max(ALIGNMENT, array.BYTES_PER_ELEMENT);
      handle = new SHMHandle(type, 0, Math.ceil(cursor / alignment) * alignment, array.length);
      cursor = handle.byteOffset + array.byteLength;
    }
    while (regionByteLengths.length <= handle.region) regionByteLengths.push(0);
    const end = handle.byteOffset + array.byteLength;
    regionByteLengths[handle.region] = Math.max(regionByteLengths[handle.region] as number, end);
    placements.push({ array, handle });
    return handle;
  });
  return { receipt: receipt as Receipt<T>, placements, regionByteLengths };
}

/**
 * Copies every placement into `regions[handle.region]`, skipping arrays already in place (a
 * worker that filled its `shmBuffer` costs no copy); a missing or short region is a
 * {@link SharedMemoryError}.
 */
export function writePlacements(
  placements: readonly Placement[],
  regions: readonly (ArrayBufferLike | undefined)[],
): void {
  for (const { array, handle } of placements) {
    const region = regions[handle.region];
    if (region === undefined)
      throw new SharedMemoryError(`No region ${handle.region} to write a ${handle.type} into`);
    if (handle.byteOffset + array.byteLength > region.byteLength)
      throw new SharedMemoryError(
        `Region ${handle.region} holds ${region.byteLength} bytes; a ${handle.type}(${handle.length}) at byte ${handle.byteOffset} does not fit`,
      );
    if (isInPlace(array, handle, region)) continue;
    new Uint8Array(region, handle.byteOffset, array.byteLength).set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
    );
  }
}

/** True when `array` already is the view of `region` that `handle` describes: no copy needed. */
export function isInPlace(
  array: TypedArray,
  handle: SHMHandleLike,
  region: ArrayBufferLike,
): boolean {
  return (
    array.buffer === region &&
    array.byteOffset === handle.byteOffset &&
    array.length === handle.length
  );
}

/** Options of {@link reconstructSharedMemory}. */
export interface ReconstructOptions extends WalkOptions {
  /** Copy each array out of its region, to keep it past the region's reuse. @default false */
  readonly copy?: boolean;
}

/**
 * "Reconstruct": the package a receipt (or a structured clone of one) stands for, each handle a
 * view of (with `copy`, a copy out of) `regions[handle.region]`. Handles are checked, since a
 * receipt comes from another thread or process: a missing region, a misaligned offset, an array
 * past a region's end or a marker is a {@link SharedMemoryError}.
 */
export function reconstructSharedMemory<T>(
  receipt: unknown,
  regions: readonly (ArrayBufferLike | undefined)[],
  options: ReconstructOptions = {},
): T {
  return walkPackage(receipt, undefined, options, (node, _tmpl, path) => {
    if (SHMHandle.isMarker(node))
      throw new SharedMemoryError(
        `${formatPath(path)} is an SHMHandle marker, which only a worker's result may hold (it stands for the same field of shmBuffer)`,
      );
    if (!SHMHandle.isHandle(node)) return NOT_A_LEAF;
    checkHandle(node, path);
    const region = regions[node.region];
    if (region === undefined)
      throw new SharedMemoryError(
        `${formatPath(path)}: the receipt refers to region ${node.region}, which was not given`,
      );
    const Ctor = constructorOf(node.type);
    if (node.byteOffset + node.length * Ctor.BYTES_PER_ELEMENT > region.byteLength)
      throw new SharedMemoryError(
        `${formatPath(path)}: a ${node.type}(${node.length}) at byte ${node.byteOffset} does not fit in region ${node.region} (${region.byteLength} bytes)`,
      );
    const view = new Ctor(region, node.byteOffset, node.length);
    return options.copy === true ? view.slice() : view;
  }) as T;
}

/** The outcome of {@link moveToSharedMemory}. */
export interface MovedPackage<T> {
  /** The package, its arrays now views of `buffer`. */
  readonly value: T;
  /** The shared region. */
  readonly buffer: SharedArrayBuffer;
  /** What to send along with `buffer`. */
  readonly receipt: Receipt<T>;
}

/**
 * "Move": copies every typed array of `value` into one new `SharedArrayBuffer` and returns the
 * package rebuilt over it, with its receipt (BlazeFL's `share_memory_`). The input is not changed.
 */
export function moveToSharedMemory<T>(value: T, options: WalkOptions = {}): MovedPackage<T> {
  const plan = replaceWithHandles(value, options);
  const buffer = new SharedArrayBuffer(plan.regionByteLengths[0] ?? 0);
  writePlacements(plan.placements, [buffer]);
  const moved = reconstructSharedMemory<T>(plan.receipt, [buffer], options);
  return { value: moved, buffer, receipt: plan.receipt };
}

/**
 * Replaces every {@link SHMHandle} marker in a worker's `result` by the value at the same place in
 * `shmBuffer()`. Without a marker, `result` itself is returned and `shmBuffer` is not called, so an
 * unused buffer is never made. A marker where `shmBuffer` holds nothing is a
 * {@link SharedMemoryError} that says what to do.
 */
export function resolveMarkers<T>(
  result: T,
  shmBuffer: () => unknown,
  options: WalkOptions = {},
): T {
  if (!containsMarker(result, new Set())) return result;
  const buffer = shmBuffer();
  return walkPackage(result, buffer, options, (node, tmpl, path) => {
    if (!SHMHandle.isMarker(node)) return typedArrayName(node) !== undefined ? node : NOT_A_LEAF;
    if (tmpl === undefined || SHMHandle.isMarker(tmpl))
      throw new SharedMemoryError(
        buffer === undefined
          ? `${formatPath(path)} is an SHMHandle marker, but the client has no shmBuffer: override prepareUplinkPackageBuffer() to lay one out`
          : `${formatPath(path)} is an SHMHandle marker, but shmBuffer holds nothing there (compare prepareUplinkPackageBuffer())`,
      );
    return tmpl;
  }) as T;
}

function containsMarker(node: unknown, seen: Set<object>): boolean {
  if (node === null || typeof node !== "object" || seen.has(node) || ArrayBuffer.isView(node))
    return false;
  if (SHMHandle.isMarker(node)) return true;
  seen.add(node);
  const values =
    Array.isArray(node) || node instanceof Set
      ? node
      : node instanceof Map
        ? node.values()
        : isPlainObject(node)
          ? Object.values(node)
          : [];
  for (const v of values) if (containsMarker(v, seen)) return true;
  return false;
}
