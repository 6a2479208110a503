import * as tf from '@tensorflow/tfjs-core';

/**
 * Why this exists (tfjs-backend-wasm 4.22, found by training each layer kind on wasm and comparing
 * every gradient with the cpu backend's):
 * - `Conv2DBackpropFilter` is not registered for wasm at all (tfjs issue 8474), so the gradient
 *   of any `conv2d` layer's kernel throws "Kernel 'Conv2DBackpropFilter' not registered".
 * - The wasm `MaxPoolGrad` gives a zero gradient to a window whose maximum is negative (observed:
 *   a 1×1 max pool, the identity, passes dy through only where x ≥ 0), so a max pool after
 *   anything but a ReLU trains wrongly.
 * - The wasm `Conv2D` and `FusedConv2D` with `pad: 'same'` give wrong values when the filter is 1
 *   wide (or high) and the stride along that axis is above 1, e.g. ResNet's 1×1 stride-2 shortcut.
 *   With the same padding given explicitly they are right, so the replacements pass it that way.
 * - The wasm `Conv2DBackpropInput` is right but slow (scalar loops); replaced by a matMul one.
 * Every other kernel that the backward passes of dense, conv2d, the poolings, flatten, dropout,
 * batchNormalization, lstm, gru and the activations dispatch is registered and equals the cpu
 * backend's (`__tests__/wasm-conv-kernels.test.ts` checks them).
 */
const BACKEND = 'wasm';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

const wasmBackendOf = (args: KernelArgs): WasmBackend => args.backend as unknown as WasmBackend;

function kernelOf(name: string): tf.KernelConfig {
  // getKernel is typed as always found; at run time it returns undefined for a missing kernel.
  const kernel = tf.getKernel(name, BACKEND) as tf.KernelConfig | undefined;
  if (kernel === undefined) throw new Error(`wasm kernel '${name}' is not registered`);
  return kernel;
}

function reshaped(x: tf.TensorInfo, shape: number[], args: KernelArgs): tf.TensorInfo {
  return kernelOf('Reshape').kernelFunc({ inputs: { x }, backend: args.backend, attrs: { shape } }) as tf.TensorInfo;
}

/** The attributes both convolution gradients take, beside the shape of what they compute. */
interface ConvGradientAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Shape4 = [number, number, number, number];

/** The convolution's geometry; only channels-last data is supported. */
function channelsLastConvInfo(
  kernel: string,
  inputShape: Shape4,
  filterShape: Shape4,
  attrs: ConvGradientAttrs,
): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(`wasm ${kernel} supports dataFormat 'NHWC' only, got '${attrs.dataFormat}'`);
  }
  return info;
}

/** A new float32 output of zeros (a gradient over an empty convolution). */
function zerosOutput(backend: WasmBackend, shape: number[]): tf.TensorInfo {
  const zeros = backend.makeOutput(shape, 'float32');
  backend.typedArrayFromHeap(zeros).fill(0);
  return zeros;
}

/** a · b through the wasm BatchMatMul kernel, neither operand transposed (XNNPACK's fast path). */
const untransposedMatMul = (a: tf.TensorInfo, b: tf.TensorInfo, args: KernelArgs): tf.TensorInfo =>
  kernelOf('BatchMatMul').kernelFunc({
    inputs: { a, b },
    backend: args.backend,
    attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;

interface BackpropFilterAttrs extends ConvGradientAttrs {
  filterShape: Shape4;
}

/**
 * dW[kh, kw, ci, co] = Σ over (b, oy, ox) of x[b, oy·sh + kh − top, ox·sw + kw − left, ci] ·
 * dy[b, oy, ox, co]. Written as one matMul with neither operand transposed, so that it takes
 * XNNPACK's path: the patches P [kh·kw·ci, b·oh·ow] (each row one filter tap over every output
 * position, zero where the tap falls in the padding) times dy viewed as [b·oh·ow, co].
 */
function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as BackpropFilterAttrs;
  const backend = wasmBackendOf(args);
  const info = channelsLastConvInfo('Conv2DBackpropFilter', x.shape as Shape4, attrs.filterShape, attrs);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const taps = filterHeight * filterWidth * inChannels;
  const positions = batchSize * outHeight * outWidth;
  if (taps * positions * outChannels === 0) return zerosOutput(backend, attrs.filterShape);
  const patches = backend.makeOutput([taps, positions], 'float32');
  // Views after the allocation: allocating may grow the heap and detach earlier views.
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(patches);
  const rowStride = inWidth * inChannels;
  const imageStride = inHeight * rowStride;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  let written = 0;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let ci = 0; ci < inChannels; ci++) {
        for (let b = 0; b < batchSize; b++) {
          for (let oy = 0; oy < outHeight; oy++) {
            const iy = oy * strideHeight + kh - top;
            if (iy < 0 || iy >= inHeight) {
              target.fill(0, written, written + outWidth);
              written += outWidth;
              continue;
            }
            const base = b * imageStride + iy * rowStride + ci;
            for (let ox = 0; ox < outWidth; ox++) {
              const ix = ox * strideWidth + kw - left;
              target[written++] = ix < 0 || ix >= inWidth ? 0 : source[base + ix * inChannels]!;
            }
          }
        }
      }
    }
  }
  const gradient = reshaped(dy, [positions, outChannels], args);
  let product: tf.TensorInfo | undefined;
  try {
    product = untransposedMatMul(patches, gradient, args);
    return reshaped(product, attrs.filterShape, args);
  } finally {
    backend.disposeData(patches.dataId);
    backend.disposeData(gradient.dataId);
    if (product !== undefined) backend.disposeData(product.dataId);
  }
}

interface BackpropInputAttrs extends ConvGradientAttrs {
  inputShape: Shape4;
}

/**
 * dx of a convolution, as one matMul with neither operand transposed and a scatter: the columns
 * C = dy [b·oh·ow, co] · Wᵀ [co, kh·kw·ci] (Wᵀ made by the wasm Transpose kernel, the filter being
 * small), then each row of C (one output position) is added into the input window it came from.
 * The stock wasm kernel loops over every (input, filter) pair in scalar code: 10× slower than this
 * on the second convolution of an MNIST CNN.
 */
function conv2dBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as BackpropInputAttrs;
  const backend = wasmBackendOf(args);
  const info = channelsLastConvInfo('Conv2DBackpropInput', attrs.inputShape, filter.shape as Shape4, attrs);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const taps = filterHeight * filterWidth * inChannels;
  const positions = batchSize * outHeight * outWidth;
  if (taps * positions * outChannels === 0) return zerosOutput(backend, attrs.inputShape);
  const temporaries: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => {
    temporaries.push(t);
    return t;
  };
  try {
    const flatFilter = keep(reshaped(filter, [taps, outChannels], args));
    const filterT = keep(
      kernelOf('Transpose').kernelFunc({
        inputs: { x: flatFilter },
        backend: args.backend,
        attrs: { perm: [1, 0] },
      }) as tf.TensorInfo,
    );
    const gradient = keep(reshaped(dy, [positions, outChannels], args));
    const columns = keep(untransposedMatMul(gradient, filterT, args));
    const dx = backend.makeOutput(attrs.inputShape, 'float32');
    // Views after the allocation: allocating may grow the heap and detach earlier views.
    const source = backend.typedArrayFromHeap({ ...columns, shape: [positions, taps] });
    const target = backend.typedArrayFromHeap(dx);
    target.fill(0);
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    let row = 0;
    for (let b = 0; b < batchSize; b++) {
      for (let oy = 0; oy < outHeight; oy++) {
        for (let ox = 0; ox < outWidth; ox++, row += taps) {
          for (let kh = 0; kh < filterHeight; kh++) {
            const iy = oy * strideHeight + kh - top;
            if (iy < 0 || iy >= inHeight) continue;
            for (let kw = 0; kw < filterWidth; kw++) {
              const ix = ox * strideWidth + kw - left;
              if (ix < 0 || ix >= inWidth) continue;
              const from = row + (kh * filterWidth + kw) * inChannels;
              const to = ((b * inHeight + iy) * inWidth + ix) * inChannels;
              for (let c = 0; c < inChannels; c++) target[to + c] = target[to + c]! + source[from + c]!;
            }
          }
        }
      }
    }
    return dx;
  } finally {
    for (const t of temporaries) backend.disposeData(t.dataId);
  }
}

interface PoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * dx of a 2-D max pool: each output's dy goes to the first position of the largest input in its
 * window (rows, then columns, as the cpu backend chooses on ties, which ReLU's zeros make
 * common). Plain JavaScript over views of the wasm heap: one pass over the windows, no matMul to
 * use, and tfjs-backend-wasm exports no other max-pool-gradient routine that is right.
 */
function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as PoolGradAttrs;
  const backend = wasmBackendOf(args);
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  const x = backend.typedArrayFromHeap(input);
  const dyValues = backend.typedArrayFromHeap(dy);
  const out = backend.typedArrayFromHeap(dx);
  out.fill(0);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth, strideHeight, strideWidth } = info;
  const rowStride = inWidth * inChannels;
  const imageStride = inHeight * rowStride;
  let read = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const yStart = oy * strideHeight - info.padInfo.top;
      const yFrom = Math.max(0, yStart);
      const yTo = Math.min(inHeight, yStart + effectiveFilterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const xStart = ox * strideWidth - info.padInfo.left;
        const xFrom = Math.max(0, xStart);
        const xTo = Math.min(inWidth, xStart + effectiveFilterWidth);
        for (let c = 0; c < inChannels; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let where = -1;
          for (let iy = yFrom; iy < yTo; iy++) {
            for (let ix = xFrom; ix < xTo; ix++) {
              const at = b * imageStride + iy * rowStride + ix * inChannels + c;
              if (x[at]! > best) {
                best = x[at]!;
                where = at;
              }
            }
          }
          if (where >= 0) out[where] = out[where]! + dyValues[read]!;
          read++;
        }
      }
    }
  }
  return dx;
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations: [number, number] | number;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Runs the stock convolution with TensorFlow's 'same' padding spelled out as explicit [top, bottom] and [left, right] pads. */
function explicitSamePadding(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const attrs = args.attrs as unknown as ConvAttrs;
    if (attrs.pad !== 'same') return original(args);
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const { padInfo } = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations,
      'same',
      attrs.dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [padInfo.top, padInfo.bottom],
      [padInfo.left, padInfo.right],
      [0, 0],
    ];
    return original({ ...args, attrs: { ...args.attrs, pad } });
  };
}

/** Each kernel losslab registers, given the wasm backend's own (undefined where it has none). */
const KERNELS: readonly { kernelName: string; make: (original: tf.KernelConfig | undefined) => tf.KernelFunc }[] = [
  { kernelName: 'Conv2DBackpropFilter', make: () => conv2dBackpropFilter },
  { kernelName: 'Conv2DBackpropInput', make: () => conv2dBackpropInput },
  { kernelName: 'MaxPoolGrad', make: () => maxPoolGrad },
  ...['Conv2D', 'FusedConv2D'].map((kernelName) => ({
    kernelName,
    make: (original: tf.KernelConfig | undefined) => explicitSamePadding(original!.kernelFunc),
  })),
];

/** What each installed kernel replaced: the stock kernel, or undefined where wasm had none. */
const replaced = new Map<string, tf.KernelConfig | undefined>();

/**
 * Registers the wasm kernels that tfjs-backend-wasm lacks (`Conv2DBackpropFilter`, as an im2col
 * matMul on XNNPACK), gets wrong (`MaxPoolGrad`; `Conv2D` and `FusedConv2D` with some 'same'
 * paddings) or runs slowly (`Conv2DBackpropInput`, as a matMul and a scatter), so that every
 * built-in layer trains on wasm as on cpu. A global registration: {@link selectBackend} calls it whenever it activates the wasm
 * backend; {@link restoreWasmConvKernels} undoes it. Idempotent; returns false when the wasm
 * kernels are not registered (the wasm backend was never imported).
 *
 * @example
 * await selectBackend({ requested: 'wasm' }); // already installed
 * restoreWasmConvKernels();                // stock kernels again, e.g. to compare
 * installWasmConvKernels();
 */
export function installWasmConvKernels(): boolean {
  if (replaced.size > 0) return true;
  const wrapped = ['Conv2D', 'FusedConv2D'].map((name) => tf.getKernel(name, BACKEND) as tf.KernelConfig | undefined);
  if (wrapped.some((kernel) => kernel === undefined)) return false;
  for (const { kernelName, make } of KERNELS) {
    const original = tf.getKernel(kernelName, BACKEND) as tf.KernelConfig | undefined;
    replaced.set(kernelName, original);
    if (original !== undefined) tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({ ...original, kernelName, backendName: BACKEND, kernelFunc: make(original) });
  }
  return true;
}

/** Puts back the wasm backend's own kernels (or none) where {@link installWasmConvKernels} registered losslab's. */
export function restoreWasmConvKernels(): void {
  for (const [name, original] of replaced) {
    tf.unregisterKernel(name, BACKEND);
    if (original !== undefined) tf.registerKernel(original);
  }
  replaced.clear();
}

/** True while losslab's wasm convolution and pooling kernels are installed. */
export const wasmConvKernelsInstalled = (): boolean => replaced.size > 0;
