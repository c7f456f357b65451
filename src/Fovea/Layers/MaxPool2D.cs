using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text.Json.Nodes;
using Fovea.Kernels;

namespace Fovea.Layers;

/// <summary>
/// Max pooling over NHWC windows, Keras's <c>MaxPool2D</c> (padding 'valid'; strides default to the pool size).
/// Forward remembers where each maximum came from, so backward routes each gradient to that one input.
/// </summary>
public sealed class MaxPool2D : UnaryLayer, ILayerFactory
{
    private int[] _argmax = [];
    private readonly PoolWork _forward;
    private readonly PoolWork _backward;

    public MaxPool2D((int Height, int Width) poolSize, (int Height, int Width)? strides = null, string? name = null, Shape? inputShape = null)
        : base(name, inputShape)
    {
        if (poolSize.Height <= 0 || poolSize.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(poolSize), $"poolSize must be positive; got ({poolSize.Height}, {poolSize.Width})");
        var s = strides ?? poolSize;
        if (s.Height <= 0 || s.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(strides), $"strides must be positive; got ({s.Height}, {s.Width})");
        PoolSize = poolSize;
        Strides = s;
        _forward = new PoolWork(this, backward: false);
        _backward = new PoolWork(this, backward: true);
    }

    public MaxPool2D(int poolSize = 2, string? name = null) : this((poolSize, poolSize), null, name) { }

    public (int Height, int Width) PoolSize { get; }
    public (int Height, int Width) Strides { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "MaxPooling2D";

    public override string TypeName => ClassName;
    public override string NameStem => "max_pooling2d";
    internal override bool IndependentSamplesInTraining => true;

    // Backward routes gradients through the kept argmax alone.
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 3)
            throw new ArgumentException($"MaxPool2D expects an input of shape (height, width, channels); got {inputShape}");
        int oh = (inputShape[0] - PoolSize.Height) / Strides.Height + 1;
        int ow = (inputShape[1] - PoolSize.Width) / Strides.Width + 1;
        if (inputShape[0] < PoolSize.Height || inputShape[1] < PoolSize.Width)
            throw new ArgumentException($"MaxPool2D pool ({PoolSize.Height}, {PoolSize.Width}) is larger than its input {inputShape}");
        return new Shape(oh, ow, inputShape[2]);
    }

    protected override void AllocateScratch(int batchCapacity) => _argmax = new int[batchCapacity * (int)OutputShape.Size];

    public override void Forward(float[] output, float[] input, int batch, bool training)
    {
        CheckCapacity(batch);
        _forward.Run(output, input, batch, keepArgmax: training);
    }

    /// <summary>Pools <paramref name="images"/> images of <paramref name="input"/> into images first.. of
    /// <paramref name="output"/>, without the argmax: inference, fed by <see cref="Conv2D.ForwardPooled"/>.</summary>
    internal void PoolForInference(float[] output, int first, float[] input, int images, bool gelu = false) =>
        _forward.Run(output, input, images, keepArgmax: false, outputFirst: first, gelu: gelu);

    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, int batch)
    {
        CheckCapacity(batch);
        if (inputGrad is not null) _backward.Run(inputGrad, outputGrad, batch);
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new MaxPool2D(config.Pair("pool_size", 1, 64), config.Pair("strides", 1, 64), name, inputShape);

    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        c["pool_size"] = new JsonArray(PoolSize.Height, PoolSize.Width);
        c["strides"] = new JsonArray(Strides.Height, Strides.Width);
        return c;
    }

    /// <summary>
    /// out[oh, ow, c] = max over the window of in[...]; argmax[...] = index of that input within its image.
    /// Ties go to the first maximum in row-major window order, as in TensorFlow. NHWC keeps each pixel's channels
    /// contiguous, so whole channel vectors are compared at once (<see cref="Vector{T}"/>: the JIT picks the width).
    /// </summary>
    internal static void PoolImage(Span<float> output, Span<int> argmax, ReadOnlySpan<float> input,
        int h, int w, int c, int ph, int pw, int sh, int sw, int oh, int ow)
    {
        int lanes = Vector<float>.Count;
        var laneOffsets = LaneOffsets();
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                int outAt = (y * ow + x) * c;
                int first = (y * sh * w + x * sw) * c;
                int ch = 0;
                // 512-bit vectors where the hardware runs them well: the same comparisons, twice the channels per op.
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; ch <= c - 16; ch += 16)
                    {
                        var best = Vector512.Create(input.Slice(first + ch, 16));
                        var index = Vector512.Create(first + ch) + Lanes512;
                        for (int dy = 0; dy < ph; dy++)
                            for (int dx = 0; dx < pw; dx++)
                            {
                                if (dy == 0 && dx == 0) continue;
                                int at = ((y * sh + dy) * w + x * sw + dx) * c + ch;
                                var v = Vector512.Create(input.Slice(at, 16));
                                var greater = Vector512.GreaterThan(v, best);
                                best = Vector512.ConditionalSelect(greater, v, best);
                                index = Vector512.ConditionalSelect(greater.AsInt32(), Vector512.Create(at) + Lanes512, index);
                            }
                        best.CopyTo(output.Slice(outAt + ch, 16));
                        index.CopyTo(argmax.Slice(outAt + ch, 16));
                    }
                }
                for (; ch <= c - lanes; ch += lanes)
                {
                    var best = new Vector<float>(input[(first + ch)..]);
                    var index = new Vector<int>(first + ch) + laneOffsets;
                    for (int dy = 0; dy < ph; dy++)
                        for (int dx = 0; dx < pw; dx++)
                        {
                            if (dy == 0 && dx == 0) continue;
                            int at = ((y * sh + dy) * w + x * sw + dx) * c + ch;
                            var v = new Vector<float>(input[at..]);
                            var greater = Vector.GreaterThan(v, best);
                            best = Vector.ConditionalSelect(greater, v, best);
                            index = Vector.ConditionalSelect(greater, new Vector<int>(at) + laneOffsets, index);
                        }
                    best.CopyTo(output[(outAt + ch)..]);
                    index.CopyTo(argmax[(outAt + ch)..]);
                }
                for (; ch < c; ch++)
                {
                    float best = input[first + ch];
                    int index = first + ch;
                    for (int dy = 0; dy < ph; dy++)
                        for (int dx = 0; dx < pw; dx++)
                        {
                            int at = ((y * sh + dy) * w + x * sw + dx) * c + ch;
                            if (input[at] > best) (best, index) = (input[at], at);
                        }
                    output[outAt + ch] = best;
                    argmax[outAt + ch] = index;
                }
            }
    }

    /// <summary>
    /// The backward pass for windows that do not overlap (stride ≥ pool size), written as a gather: every input
    /// element is written once, with its window's gradient where it was the argmax and zero elsewhere, instead of
    /// clearing the whole input gradient and scattering into it. The same values as the scatter, to the bit: its
    /// 0 + g is reproduced as g + 0 (which turns −0 into +0, as the scatter did).
    /// </summary>
    internal static void UnpoolImage(Span<float> dIn, ReadOnlySpan<float> dOut, ReadOnlySpan<int> argmax,
        int h, int w, int c, int ph, int pw, int sh, int sw, int oh, int ow)
    {
        // Rows and columns no window reads (a 13-pixel side pooled by 2) get zero.
        if (oh * sh < h || ow * sw < w || sh > ph || sw > pw) dIn.Clear();
        int lanes = Vector<float>.Count;
        var laneOffsets = LaneOffsets();
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                int outAt = (y * ow + x) * c;
                for (int dy = 0; dy < ph; dy++)
                    for (int dx = 0; dx < pw; dx++)
                    {
                        int at = ((y * sh + dy) * w + x * sw + dx) * c;
                        int ch = 0;
                        if (Vector512.IsHardwareAccelerated)
                        {
                            for (; ch <= c - 16; ch += 16)
                            {
                                var hit = Vector512.Equals(Vector512.Create(argmax.Slice(outAt + ch, 16)), Vector512.Create(at + ch) + Lanes512);
                                var g = Vector512.Create(dOut.Slice(outAt + ch, 16)) + Vector512<float>.Zero;
                                Vector512.ConditionalSelect(hit.AsSingle(), g, Vector512<float>.Zero).CopyTo(dIn.Slice(at + ch, 16));
                            }
                        }
                        for (; ch <= c - lanes; ch += lanes)
                        {
                            var hit = Vector.Equals(new Vector<int>(argmax[(outAt + ch)..]), new Vector<int>(at + ch) + laneOffsets);
                            var g = new Vector<float>(dOut[(outAt + ch)..]) + Vector<float>.Zero;
                            Vector.ConditionalSelect(Vector.AsVectorSingle(hit), g, Vector<float>.Zero).CopyTo(dIn[(at + ch)..]);
                        }
                        for (; ch < c; ch++)
                            dIn[at + ch] = argmax[outAt + ch] == at + ch ? dOut[outAt + ch] + 0f : 0f;
                    }
            }
    }

    /// <summary>
    /// <see cref="PoolImage"/> without the argmax, for inference: the same comparisons in the same order, so the same
    /// values (a NaN is kept only where it comes first in its window, as there), at half the memory traffic.
    /// </summary>
    internal static void PoolImageMax(Span<float> output, ReadOnlySpan<float> input,
        int w, int c, int ph, int pw, int sh, int sw, int oh, int ow, int y0 = 0, int y1 = -1)
    {
        int lanes = Vector<float>.Count;
        if (y1 < 0) y1 = oh;
        for (int y = y0; y < y1; y++)
            for (int x = 0; x < ow; x++)
            {
                int outAt = (y * ow + x) * c;
                int first = (y * sh * w + x * sw) * c;
                int ch = 0;
                for (; ch <= c - lanes; ch += lanes)
                {
                    var best = new Vector<float>(input[(first + ch)..]);
                    for (int dy = 0; dy < ph; dy++)
                        for (int dx = 0; dx < pw; dx++)
                        {
                            if (dy == 0 && dx == 0) continue;
                            var v = new Vector<float>(input[(((y * sh + dy) * w + x * sw + dx) * c + ch)..]);
                            best = Vector.ConditionalSelect(Vector.GreaterThan(v, best), v, best);
                        }
                    best.CopyTo(output[(outAt + ch)..]);
                }
                for (; ch < c; ch++)
                {
                    float best = input[first + ch];
                    for (int dy = 0; dy < ph; dy++)
                        for (int dx = 0; dx < pw; dx++)
                        {
                            float v = input[((y * sh + dy) * w + x * sw + dx) * c + ch];
                            if (v > best) best = v;
                        }
                    output[outAt + ch] = best;
                }
            }
    }

    /// <summary>The scalar definition the vectorised <see cref="PoolImage"/> is tested against.</summary>
    internal static void PoolImageReference(Span<float> output, Span<int> argmax, ReadOnlySpan<float> input,
        int h, int w, int c, int ph, int pw, int sh, int sw, int oh, int ow)
    {
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int ch = 0; ch < c; ch++)
                {
                    int o = (y * ow + x) * c + ch;
                    output[o] = float.NegativeInfinity;
                    argmax[o] = -1;
                    for (int dy = 0; dy < ph; dy++)
                        for (int dx = 0; dx < pw; dx++)
                        {
                            int at = ((y * sh + dy) * w + x * sw + dx) * c + ch;
                            if (argmax[o] < 0 || input[at] > output[o]) (output[o], argmax[o]) = (input[at], at);
                        }
                }
    }

    private static readonly Vector512<int> Lanes512 = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    private static Vector<int> LaneOffsets()
    {
        Span<int> lanes = stackalloc int[Vector<int>.Count];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = i;
        return new Vector<int>(lanes);
    }

    private sealed unsafe class PoolWork(MaxPool2D layer, bool backward) : IParallelWork
    {
        private float[] _dst = [];
        private float[] _src = [];

        private bool _keepArgmax;
        private int _outputFirst;
        private int _bands = 1;
        private bool _gelu;   // inference: a GELU layer after the pool, applied to each band as it is written

        public void Run(float[] dst, float[] src, int batch, bool keepArgmax = true, int outputFirst = 0, bool gelu = false)
        {
            (_dst, _src, _keepArgmax, _outputFirst, _gelu) = (dst, src, keepArgmax, outputFirst, gelu);
            // Inference on fewer images than two per thread also splits each image into bands of output rows, so that a
            // batch of one is pooled by every thread: a maximum is the same whoever takes it.
            int oh = layer.OutputShape[0], threads = Engine.Threads;
            _bands = !backward && !keepArgmax && batch < 2 * threads ? Math.Min(oh, (2 * threads + batch - 1) / batch) : 1;
            WorkerPool.Shared.Run(this, batch * _bands);
            (_dst, _src) = ([], []);
        }

        public void Execute(int part)
        {
            var inShape = layer.InputShape;
            int inSize = (int)inShape.Size, outSize = (int)layer.OutputShape.Size;
            if (!backward && !_keepArgmax)
            {
                int img = part / _bands, band = part - img * _bands, oh = layer.OutputShape[0];
                int y0 = oh * band / _bands, y1 = oh * (band + 1) / _bands;
                var pooled = _dst.AsSpan((_outputFirst + img) * outSize, outSize);
                PoolImageMax(pooled, _src.AsSpan(img * inSize, inSize),
                    inShape[1], inShape[2], layer.PoolSize.Height, layer.PoolSize.Width,
                    layer.Strides.Height, layer.Strides.Width, oh, layer.OutputShape[1], y0, y1);
                if (_gelu)
                {
                    int rowFloats = outSize / oh;
                    fixed (float* p = pooled) Kernels.Gelu.ForwardInPlace(p + y0 * rowFloats, (y1 - y0) * rowFloats);
                }
                return;
            }
            int image = part;
            var argmax = layer._argmax.AsSpan(image * outSize, outSize);
            if (!backward)
            {
                PoolImage(_dst.AsSpan(image * outSize, outSize), argmax, _src.AsSpan(image * inSize, inSize),
                    inShape[0], inShape[1], inShape[2], layer.PoolSize.Height, layer.PoolSize.Width,
                    layer.Strides.Height, layer.Strides.Width, layer.OutputShape[0], layer.OutputShape[1]);
                return;
            }
            var dIn = _dst.AsSpan(image * inSize, inSize);
            var dOut = _src.AsSpan(image * outSize, outSize);
            if (layer.Strides.Height >= layer.PoolSize.Height && layer.Strides.Width >= layer.PoolSize.Width)
            {
                UnpoolImage(dIn, dOut, argmax, inShape[0], inShape[1], inShape[2], layer.PoolSize.Height, layer.PoolSize.Width,
                    layer.Strides.Height, layer.Strides.Width, layer.OutputShape[0], layer.OutputShape[1]);
                return;
            }
            // dinput[argmax] += doutput: windows may overlap when strides < pool size, hence += after clearing.
            dIn.Clear();
            for (int i = 0; i < outSize; i++) dIn[argmax[i]] += dOut[i];
        }
    }
}
