/**
 * `resnet18` and `resnet18-gn`: torchvision's `resnet18` exactly (7x7 stride-2 stem, 3x3 stride-2
 * max pool, four stages of two BasicBlocks, global average pool, fc), channels-last, with batch
 * norm or with group norm. For 10 classes it has 11,181,642 trainable parameters, torchvision's
 * count, plus 9,600 batch-norm running statistics (none with group norm). On 32x32 inputs the
 * last stage is 1x1, as when torchvision's model is run on CIFAR-10 unchanged.
 *
 * PyTorch's explicit paddings are reproduced with zero padding and 'valid' convolutions: tfjs's
 * 'same' padding puts the odd pixel of a stride-2 window at the bottom-right, PyTorch pads both
 * sides, so the two would see shifted windows.
 *
 * @module
 */

import type { LayersModel, SymbolicTensor } from "@tensorflow/tfjs";
import { OptionsError } from "../../core/errors.js";
import { assertPositiveInteger } from "../../core/validate.js";
import { tf } from "../../engine/tfjs.js";
import { GroupNormalization } from "./group-normalization.js";
import { kaimingNormalFanOut, torchDefault } from "./torch-init.js";

/** Which normalisation the blocks use. */
export type ResnetNorm =
  | { readonly kind: "batch" }
  | { readonly kind: "group"; readonly groups: number };

/**
 * The number of groups of `resnet18-gn`: two per layer, as in Reddi et al. (2021), "Adaptive
 * Federated Optimization", whose CIFAR-10 ResNet-18 replaces batch norm by group norm.
 */
export const RESNET18_GN_GROUPS = 2;

type Sym = SymbolicTensor;

function norm(kind: ResnetNorm, name: string, x: Sym): Sym {
  const layer =
    kind.kind === "batch"
      ? // PyTorch's momentum 0.1 is Keras's 0.9; its epsilon is 1e-5.
        tf.layers.batchNormalization({ name, axis: -1, momentum: 0.9, epsilon: 1e-5 })
      : new GroupNormalization({ name, groups: kind.groups, epsilon: 1e-5 });
  return layer.apply(x) as Sym;
}

function conv(
  name: string,
  x: Sym,
  filters: number,
  kernel: number,
  stride: number,
  padding: number,
): Sym {
  const padded =
    padding === 0 ? x : (tf.layers.zeroPadding2d({ name: `${name}.pad`, padding }).apply(x) as Sym);
  return tf.layers
    .conv2d({
      name,
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: "valid",
      useBias: false,
      kernelInitializer: kaimingNormalFanOut(kernel * kernel * filters),
    })
    .apply(padded) as Sym;
}

const relu = (name: string, x: Sym) => tf.layers.reLU({ name }).apply(x) as Sym;

function basicBlock(kind: ResnetNorm, name: string, x: Sym, filters: number, stride: number): Sym {
  const inChannels = x.shape.at(-1) as number;
  let h = conv(`${name}.conv1`, x, filters, 3, stride, 1);
  h = relu(`${name}.relu1`, norm(kind, `${name}.bn1`, h));
  h = norm(kind, `${name}.bn2`, conv(`${name}.conv2`, h, filters, 3, 1, 1));
  let shortcut = x;
  if (stride !== 1 || inChannels !== filters)
    shortcut = norm(
      kind,
      `${name}.downsample.1`,
      conv(`${name}.downsample.0`, x, filters, 1, stride, 0),
    );
  return relu(`${name}.relu2`, tf.layers.add({ name: `${name}.add` }).apply([h, shortcut]) as Sym);
}

/**
 * torchvision's ResNet-18 for `[height, width, channels]` inputs (each side at least 32 keeps
 * every stage non-empty), with torchvision's initialisation: convolutions
 * `kaiming_normal_(fan_out, relu)`, norm weights 1 and biases 0, fc PyTorch's default. Layer
 * names follow torchvision's module names (`conv1`, `bn1`, `layer2.0.downsample.0`, `fc`).
 */
export function buildResnet18(
  inputShape: readonly number[],
  numClasses: number,
  kind: ResnetNorm = { kind: "batch" },
): LayersModel {
  if (!Array.isArray(inputShape) || inputShape.length !== 3)
    throw new OptionsError("inputShape", inputShape, "[height, width, channels] for resnet18");
  for (const [i, d] of inputShape.entries()) assertPositiveInteger(`inputShape[${i}]`, d);
  assertPositiveInteger("numClasses", numClasses);
  if ((inputShape[0] as number) < 32 || (inputShape[1] as number) < 32)
    throw new OptionsError(
      "inputShape",
      inputShape,
      "a height and width of at least 32 for resnet18",
    );
  const input = tf.input({ name: "input", shape: [...inputShape] });
  let x = conv("conv1", input, 64, 7, 2, 3);
  x = relu("relu", norm(kind, "bn1", x));
  // Zero padding before a max pool of non-negative values equals PyTorch's -inf padding.
  x = tf.layers.zeroPadding2d({ name: "maxpool.pad", padding: 1 }).apply(x) as Sym;
  x = tf.layers.maxPooling2d({ name: "maxpool", poolSize: 3, strides: 2 }).apply(x) as Sym;
  const stages: [number, number][] = [
    [64, 1],
    [128, 2],
    [256, 2],
    [512, 2],
  ];
  for (const [s, [filters, stride]] of stages.entries()) {
    x = basicBlock(kind, `layer${s + 1}.0`, x, filters, stride);
    x = basicBlock(kind, `layer${s + 1}.1`, x, filters, 1);
  }
  x = tf.layers.globalAveragePooling2d({ name: "avgpool" }).apply(x) as Sym;
  const logits = tf.layers
    .dense({ name: "fc", units: numClasses, ...torchDefault(512) })
    .apply(x) as Sym;
  return tf.model({
    name: kind.kind === "batch" ? "resnet18" : "resnet18-gn",
    inputs: input,
    outputs: logits,
  });
}
