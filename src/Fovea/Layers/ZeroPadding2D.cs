using System.Text.Json.Nodes;
using Fovea.Kernels;

namespace Fovea.Layers;

/// <summary>
/// Keras's <c>ZeroPadding2D</c>: adds rows and columns around each (height, width, channels) image, each side its own
/// count, so that the padding of an imported convolution that Keras's 'same' does not place (ONNX's
/// <c>pads=[3, 3, 2, 2]</c>: more at the top than at the bottom) runs as padding and a 'valid' convolution. The border
/// holds <see cref="Value"/>: 0, or a very low number before a max-pool, whose padding must never win.
/// </summary>
public sealed class ZeroPadding2D : UnaryLayer, ILayerFactory
{
    /// <summary>The fill that a max-pool's padding uses: below any activation, yet finite as model files require.</summary>
    public const float MaxPoolFill = -1e30f;

    /// <summary>Padding of <paramref name="top"/>, <paramref name="bottom"/>, <paramref name="left"/> and <paramref name="right"/>
    /// rows and columns filled with <paramref name="value"/>, Keras's <c>ZeroPadding2D(((top, bottom), (left, right)))</c>.</summary>
    public ZeroPadding2D(int top, int bottom, int left, int right, float value = 0f, string? name = null, Shape? inputShape = null)
        : base(name, inputShape)
    {
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
            throw new ArgumentOutOfRangeException(nameof(top), $"padding must not be negative; got top {top}, bottom {bottom}, left {left}, right {right}");
        if (!float.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), $"value must be finite; got {value}");
        (Top, Bottom, Left, Right, Value) = (top, bottom, left, right, value);
    }

    /// <summary>Rows added above each image.</summary>
    public int Top { get; }
    /// <summary>Rows added below each image.</summary>
    public int Bottom { get; }
    /// <summary>Columns added left of each image.</summary>
    public int Left { get; }
    /// <summary>Columns added right of each image.</summary>
    public int Right { get; }
    /// <summary>The value of the added border.</summary>
    public float Value { get; }
    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "ZeroPadding2D";
    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "zero_padding2d";
    internal override bool IndependentSamplesInTraining => true;
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 3)
            throw new ArgumentException($"ZeroPadding2D expects an input of shape (height, width, channels); got {inputShape}");
        return new Shape(inputShape[0] + Top + Bottom, inputShape[1] + Left + Right, inputShape[2]);
    }

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int batch = step.Batch, oh = OutputShape[0];
        // Inference splits the copy over the pool, in bands of rows when there are fewer images than threads (an
        // imported network's padding at batch 1: 3.3 MB before ResNet-18's stem pool); training keeps one thread.
        int threads = step.Training ? 1 : Engine.Threads;
        if (threads <= 1 || (long)batch * OutputShape.Size < ParallelMinFloats)
        {
            for (int n = 0; n < batch; n++) PadRows(output, input, n, 0, oh);
            return;
        }
        _work ??= new PadWork(this);
        _work.Run(output, input, batch, batch >= threads ? 1 : Math.Min(2 * threads, oh));
    }

    /// <summary>Floats of output from which inference splits the padding over the worker pool.</summary>
    private const long ParallelMinFloats = 1 << 15;

    private PadWork? _work;

    /// <summary>Output rows [<paramref name="r0"/>, <paramref name="r1"/>) of image <paramref name="n"/>: border rows
    /// whole, inner rows as their left strip, the input's row and their right strip.</summary>
    private void PadRows(float[] output, float[] input, int n, int r0, int r1)
    {
        int h = InputShape[0], w = InputShape[1], c = InputShape[2], ow = OutputShape[1];
        int inImage = h * w * c, outImage = (int)OutputShape.Size, row = w * c, outRow = ow * c;
        var y = output.AsSpan(n * outImage, outImage);
        for (int r = r0; r < r1; r++)
        {
            var line = y.Slice(r * outRow, outRow);
            int source = r - Top;
            if ((uint)source >= (uint)h)
            {
                line.Fill(Value);
                continue;
            }
            line[..(Left * c)].Fill(Value);
            line[((Left + w) * c)..].Fill(Value);
            input.AsSpan(n * inImage + source * row, row).CopyTo(line[(Left * c)..]);
        }
    }

    /// <summary>The padding of a batch split into parts: an image each, or bands of an image's output rows. Each part
    /// writes only its own rows, so the output is the same whoever runs it.</summary>
    private sealed class PadWork(ZeroPadding2D layer) : IParallelWork
    {
        private float[] _output = [], _input = [];
        private int _bands = 1;

        public void Run(float[] output, float[] input, int batch, int bands)
        {
            (_output, _input, _bands) = (output, input, bands);
            try { WorkerPool.Shared.Run(this, batch * bands); }
            finally { (_output, _input) = ([], []); }
        }

        public void Execute(int part)
        {
            int n = part / _bands, band = part % _bands, oh = layer.OutputShape[0];
            layer.PadRows(_output, _input, n, oh * band / _bands, oh * (band + 1) / _bands);
        }
    }

    /// <summary>The input's gradient is the output's without its border.</summary>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int batch = step.Batch;
        int h = InputShape[0], w = InputShape[1], c = InputShape[2], ow = OutputShape[1];
        int inImage = h * w * c, outImage = (int)OutputShape.Size, row = w * c;
        for (int n = 0; n < batch; n++)
            for (int r = 0; r < h; r++)
                outputGrad.AsSpan(n * outImage + ((Top + r) * ow + Left) * c, row).CopyTo(inputGrad.AsSpan(n * inImage + r * row, row));
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape)
    {
        var (top, bottom) = config.Pair("padding_height", 0, 65536);
        var (left, right) = config.Pair("padding_width", 0, 65536);
        return new ZeroPadding2D(top, bottom, left, right, config.Float("value"), name, inputShape);
    }

    /// <inheritdoc/>
    public override JsonObject GetConfig()
    {
        var c = BaseConfig();
        // Keras nests these as padding ((top, bottom), (left, right)); two flat pairs read with the common pair reader.
        c["padding_height"] = new JsonArray(Top, Bottom);
        c["padding_width"] = new JsonArray(Left, Right);
        c["value"] = Value;
        return c;
    }
}
